package dev.sluice.mta.dispatch;

import dev.sluice.egress.delivery.SessionOpener;
import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.mta.queue.DeliveryOutcome;
import java.util.List;

/**
 * What a {@link Lane} may ask of its ready queue, and nothing more: the queue keeps the lane's bookkeeping (its unsent
 * batch, its shared limits and leases, whether it must retire) and decides; the lane carries out the answers on its
 * connection. Every call may come from any thread (a lane calls from its channel's event loop).
 */
interface LaneQueue {
    /** What a lane does after a transaction. */
    sealed interface Next {
        /** Send this batch next. */
        record Send(List<Entry> batch) implements Next {}

        /** Wait idle: the queue hands the next batch to {@link Lane#offer}, or the client's idle timer QUITs. */
        record Idle() implements Next {}

        /** Quit: the queue drains, is suspended, the connection is spent or lost its lease. */
        record Retire() implements Next {}

        Next IDLE = new Idle();
        Next RETIRE = new Retire();
    }

    /** Opens the lane's session over the source's route (the egress layer's owner of a delivery attempt). */
    SessionOpener opener();

    /** The ready queue's name (KumoMTA's ready_queue_name in a trace). */
    String name();

    /** Whether the queue is draining (a session just connected then goes no further). */
    boolean draining();

    /** The lane is about to send {@code batch}: the batch with the companions that arrived since. */
    List<Entry> startSending(Lane lane, List<Entry> batch);

    /** max_deliveries_per_connection of the queue's current path (a changed limit applies to open lanes at once). */
    int maxDeliveriesPerConnection();

    Next nextFor(Lane lane, boolean usable, int deliveries, int maxDeliveries);

    /** The batch never reached the server: back to the front of the queue, in order. */
    void requeueFront(Lane lane, List<Entry> batch);

    /** Every destination failed to connect: {@code result} is the summary for the lane's batch (and maybe others). */
    void connectFailed(Lane lane, List<Entry> batch, DeliveryResult result);

    /** The lane's connection closed, or never opened. */
    void laneGone(Lane lane);

    /** Reports one message's outcome (once). */
    void complete(Entry e, DeliveryOutcome outcome);

    void connectionOpened();

    void connectionClosed();
}
