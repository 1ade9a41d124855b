package dev.sptsrag.inference.cli;

import java.io.PrintWriter;
import java.util.function.IntConsumer;

/** A one-line progress indicator on stderr for long loads ("loading 12/32 layers"). */
final class Progress implements IntConsumer {
    private final PrintWriter err;
    private final String what;
    private final int total;

    Progress(PrintWriter err, String what, int total) {
        this.err = err;
        this.what = what;
        this.total = total;
    }

    @Override
    public void accept(int doneIndex) {
        err.print("\r" + what + " " + (doneIndex + 1) + "/" + total);
        if (doneIndex + 1 == total) {
            err.println();
        }
        err.flush();
    }
}
