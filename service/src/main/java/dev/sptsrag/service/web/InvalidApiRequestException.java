package dev.sptsrag.service.web;

/** A request body the API cannot take (HTTP 400), named field by field. */
public class InvalidApiRequestException extends RuntimeException {
    private final String field;

    public InvalidApiRequestException(String message) {
        super(message);
        this.field = null;
    }

    /** A problem with one field; the message starts with the field's name. */
    public InvalidApiRequestException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    /** The field at fault, or null when the message names it. */
    public String field() {
        return field;
    }
}
