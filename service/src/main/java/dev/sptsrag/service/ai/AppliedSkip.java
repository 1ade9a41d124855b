package dev.sptsrag.service.ai;

import org.jspecify.annotations.Nullable;

/**
 * The skip budget a request ran with, in the response: resolved against the loaded model (the explicit form,
 * whether the request named a preset or gave the fields), and whether it could skip anything for this prompt on
 * this model. A budget can be valid and still skip nothing (a preset sized for long contexts on a short
 * prompt); {@code reason} says why, so that a client does not take the budget for one in force.
 *
 * @param effective whether some layer skipped or removed prompt tokens
 * @param reason    why nothing was skipped; null when {@code effective}
 */
public record AppliedSkip(SkipSpec.Explicit budget, boolean effective, @Nullable String reason) {
}
