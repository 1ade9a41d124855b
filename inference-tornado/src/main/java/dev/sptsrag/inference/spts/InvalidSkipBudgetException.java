package dev.sptsrag.inference.spts;

/**
 * A skip budget that cannot run as given, naming the budget's field at fault ({@code stageBudgets[0]},
 * {@code startLayer}) so that a caller can point at it in its own terms (the service's {@code skip.…}).
 */
public final class InvalidSkipBudgetException extends IllegalArgumentException {
    private final String field;

    public InvalidSkipBudgetException(String field, String message) {
        super(message);
        this.field = field;
    }

    /** The budget's field, as its JSON form names it, with an index for an element of a list. */
    public String field() {
        return field;
    }
}
