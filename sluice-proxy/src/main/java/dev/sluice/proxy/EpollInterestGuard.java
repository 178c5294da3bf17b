package dev.sluice.proxy;

import io.netty.channel.Channel;
import io.netty.channel.epoll.Native;
import java.lang.reflect.Method;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Works around a Netty 4.2.18 epoll bug. When a channel's epoll interest set becomes empty (after a half-close:
 * EPOLLIN and EPOLLRDHUP both cleared) Netty deletes the fd from epoll but keeps believing it is registered, so the
 * next EPOLLOUT (a write that fills the socket buffer) fails with "epoll_ctl(..) failed: No such file or directory"
 * and Netty shuts the channel's output mid-relay. (EpollIoHandler's registration stays "Added" after its DEL.)
 *
 * <p>EPOLLERR is always reported by the kernel whether asked for or not, so adding it to the interest set changes
 * no behaviour but keeps the set from ever being empty. Netty offers no public way to add it; we call the
 * channel's own setFlag once, on its event loop, right after registration. If that ever stops working we log
 * once and carry on (the bug then shows up only on half-closed sessions under back-pressure).
 */
final class EpollInterestGuard {
    private static final Logger log = LoggerFactory.getLogger(EpollInterestGuard.class);
    private static final Method SET_FLAG = find();

    private EpollInterestGuard() {}

    private static Method find() {
        try {
            Method m = Class.forName("io.netty.channel.epoll.AbstractEpollChannel").getDeclaredMethod("setFlag", int.class);
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            log.warn("cannot pin EPOLLERR on epoll channels; half-closed relays may fail under back-pressure", e);
            return null;
        }
    }

    /** Call on the channel's event loop once it is registered. */
    static void pin(Channel ch) {
        set(ch, Native.EPOLLERR);
    }

    /**
     * For an accepted socket not registered yet that reads at once (auto-read): EPOLLIN as well as EPOLLERR, so that
     * registering it is one epoll_ctl (ADD with EPOLLIN) instead of an ADD and then a MOD when auto-read starts
     * (Netty's read() finds EPOLLIN set and does nothing). Netty only polls the socket once its pipeline is set up.
     */
    static void pinReading(Channel ch) {
        pin(ch);
        if (!ch.isRegistered() && ch.config().isAutoRead()) {
            set(ch, Native.EPOLLIN);
        }
    }

    private static void set(Channel ch, int flag) {
        if (SET_FLAG == null || !SET_FLAG.getDeclaringClass().isInstance(ch)) {
            return;
        }
        try {
            SET_FLAG.invoke(ch, flag);
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.debug("cannot pin epoll flag {} on {}", flag, ch, e);
        }
    }
}
