package dev.sluice.mta.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AdmissionTest {
    @Test
    void allRefusesWhileAnyPartRefusesWithEveryReason() {
        AtomicReference<String> disk = new AtomicReference<>();
        AtomicReference<String> spool = new AtomicReference<>();
        Admission all = Admission.all(() -> Optional.ofNullable(disk.get()), () -> Optional.ofNullable(spool.get()));
        assertThat(all.refuseReason()).isEmpty();
        spool.set("spool data: writes are failing");
        assertThat(all.refuseReason()).contains("spool data: writes are failing");
        disk.set("spool data: 1 MiB free");
        assertThat(all.refuseReason()).contains("spool data: 1 MiB free; spool data: writes are failing");
        disk.set(null);
        spool.set(null);
        assertThat(all.refuseReason()).isEmpty();
    }
}
