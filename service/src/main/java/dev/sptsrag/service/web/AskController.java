package dev.sptsrag.service.web;

import dev.sptsrag.service.rag.RagAnswer;
import dev.sptsrag.service.rag.RagService;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /api/ask}: a question answered from a collection, with citations, usage and timings. */
@RestController
public class AskController {
    private final RagService rag;

    public AskController(RagService rag) {
        this.rag = rag;
    }

    @PostMapping("/api/ask")
    public RagAnswer ask(@RequestBody RagApi.AskRequest request) {
        return rag.ask(request.validated());
    }
}
