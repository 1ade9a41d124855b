package dev.sptsrag.service.web;

import dev.sptsrag.retrieval.index.IngestReceipt;
import dev.sptsrag.service.rag.DocumentLibrary;
import dev.sptsrag.service.rag.DocumentSummary;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * {@code /api/documents}: add (multipart files, or one plain-text document as JSON), list and delete.
 * A document is committed, durable and searchable when the response is sent. The files of one upload
 * are added all or none: one that cannot be read, or a failure while indexing, leaves none of them.
 */
@RestController
@RequestMapping("/api/documents")
public class DocumentsController {
    static final int MAX_LISTED = 1_000;

    private final DocumentLibrary library;
    private final int maxFiles;

    public DocumentsController(DocumentLibrary library, ApiProperties api) {
        this.library = library;
        this.maxFiles = api.limits().maxFilesPerUpload();
    }

    /**
     * Each file becomes a document; its id is {@code id} (one file only) or the file's name. All or none:
     * the receipts list every file, or the error names the one that failed and nothing was added.
     */
    @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    @ResponseStatus(HttpStatus.CREATED)
    public List<IngestReceipt> upload(@RequestParam("files") List<MultipartFile> files,
                                      @RequestParam(required = false) String collection,
                                      @RequestParam(required = false) String id) throws IOException {
        String c = RagApi.collectionOrDefault(collection);
        if (files.size() > maxFiles) {
            throw new InvalidApiRequestException("files", "at most " + maxFiles + " files in one upload "
                    + "(spts.api.limits.max-files-per-upload), got " + files.size());
        }
        if (id != null && files.size() != 1) {
            throw new InvalidApiRequestException("id", "can only name a single uploaded file, got " + files.size());
        }
        List<DocumentLibrary.Upload> uploads = new ArrayList<>(files.size());
        Set<String> ids = new HashSet<>();
        for (MultipartFile file : files) {
            String name = RagApi.name("files", fileName(file));
            String documentId = id != null ? RagApi.name("id", id) : name;
            if (!ids.add(documentId)) {
                throw new InvalidApiRequestException("files", "two files are named " + documentId);
            }
            uploads.add(new DocumentLibrary.Upload(documentId, name, file::getBytes));
        }
        return library.addFiles(c, uploads);
    }

    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    @ResponseStatus(HttpStatus.CREATED)
    public IngestReceipt addText(@RequestBody RagApi.TextDocument document) {
        if (document.text() == null || document.text().isBlank()) {
            throw new InvalidApiRequestException("text", "is required");
        }
        if (document.title() != null && document.title().length() > library.maxTitleChars()) {
            throw new InvalidApiRequestException("title", "at most " + library.maxTitleChars() + " characters");
        }
        String id = document.id() != null ? RagApi.name("id", document.id()) : UUID.randomUUID().toString();
        return library.addText(RagApi.collectionOrDefault(document.collection()), id, document.title(), document.text());
    }

    @GetMapping
    public List<DocumentSummary> list(@RequestParam(required = false) String collection) {
        return library.list(collection == null ? null : RagApi.name("collection", collection), MAX_LISTED);
    }

    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    public void delete(@PathVariable String id, @RequestParam(required = false) String collection) {
        library.delete(RagApi.collectionOrDefault(collection), RagApi.name("id", id));
    }

    /** The upload's file name without any folders a client put in it. */
    private static String fileName(MultipartFile file) {
        String name = file.getOriginalFilename();
        if (name == null) {
            return null;
        }
        if (name.indexOf('"') >= 0) { // a quoted name cannot hold one: its header was cut (e.g. by a raw line break)
            throw new InvalidApiRequestException("files", "the file name in the part's header is malformed");
        }
        return name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
    }
}
