package dev.sptsrag.service.web;

/** A request body the API cannot take (HTTP 400), named field by field. */
public class InvalidApiRequestException extends RuntimeException {
    public InvalidApiRequestException(String message) {
        super(message);
    }
}
