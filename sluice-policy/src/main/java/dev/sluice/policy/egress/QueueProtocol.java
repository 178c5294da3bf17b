package dev.sluice.policy.egress;

import java.util.List;

/** {@code make_queue_config{protocol = ...}}: how a scheduled queue's messages leave. */
public sealed interface QueueProtocol {
    /** SMTP to the MX hosts of the domain, or to {@code mx_list} when it is not empty (the default protocol). */
    record Smtp(List<MxHost> mxList) implements QueueProtocol {
        public static final Smtp BY_MX = new Smtp(List.of());

        public Smtp {
            mxList = List.copyOf(mxList);
        }
    }

    /**
     * {@code custom_lua = {constructor = 'make.X', batch_size = n}}: the policy's {@code make.X(domain, tenant,
     * campaign)} handler returns a connection whose {@code send(message)} (or, with {@code batch_size} above 1,
     * {@code send_batch(messages)}) delivers or raises.
     */
    record CustomLua(String constructor, int batchSize) implements QueueProtocol {
        public CustomLua {
            if (constructor == null || constructor.isBlank()) {
                throw new IllegalArgumentException("custom_lua needs a constructor event name");
            }
        }

        /** Whether the connection's {@code send_batch} is called rather than {@code send}. */
        public boolean batched() {
            return batchSize > 1;
        }
    }
}
