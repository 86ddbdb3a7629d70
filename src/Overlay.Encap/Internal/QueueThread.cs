using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Overlay.Encap.Internal.Interop;

namespace Overlay.Encap.Internal;

/// <summary>
/// The scheduling loop of one TUN queue's dedicated thread: which worker to pump, busy polling, and sleeping in
/// <c>poll</c>. Queue 0's thread also serves the socket: an echo request written into the TUN makes the kernel queue
/// its reply on the same queue at once (the TUN steers a flow's replies to the queue its packets came from), and this
/// thread picks the reply up before it sleeps, so a request/response exchange costs one thread wake-up per node.
/// </summary>
internal static class QueueThread
{
    private const int TunReady = 1;
    private const int SocketReady = 2;

    /// <summary>
    /// Loop iterations before a worker starts counting its allocations: the first ones load types and touch
    /// per-thread runtime state (one-time allocations); the steady state is what must not allocate.
    /// </summary>
    private const int WarmUpIterations = 128;

    // The packet path (this loop and the workers' Pump/Process/HandleMessage/Deliver/SendBatch) is compiled
    // fully optimized at its first call: no tier-0 code or OSR warm-up for the first packets.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(Tunnel tunnel, EgressWorker egress, IngressWorker? ingress, LoopAllocation loop)
    {
        try
        {
            egress.Open();
            ingress?.Open();
            BindSystemCalls();
            int stopFd = tunnel.StopFd;
            int tunFd = egress.Fd;
            int sock = ingress is null ? -1 : tunnel.Transport.Socket.Fd;
            long busyPoll = (long)(tunnel.Options.BusyPoll.TotalSeconds * Stopwatch.Frequency);
            long lastPacket = 0;
            long iterations = 0;
            long allocatedBefore = 0;
            int ready = TunReady | SocketReady;
            while (!tunnel.IsStopping)
            {
                if (++iterations == WarmUpIterations)
                {
                    allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                }

                // Only the side poll reported ready is tried first: after a sleep, the packet that woke the thread is
                // handled before any other system call (the first calls after idle are the slow ones).
                int moved = 0;
                if ((ready & TunReady) != 0)
                {
                    moved += egress.Pump();
                }

                if (ingress is not null && (ready & SocketReady) != 0)
                {
                    moved += ingress.Pump();
                }

                if (moved > 0)
                {
                    ready = TunReady | SocketReady;
                    if (busyPoll > 0)
                    {
                        lastPacket = Stopwatch.GetTimestamp();
                    }
                }
                else if (busyPoll > 0 && Stopwatch.GetTimestamp() - lastPacket < busyPoll)
                {
                    _ = Thread.Yield();
                    ready = Poll(stopFd, tunFd, sock, timeout: 0);
                }
                else
                {
                    ready = Poll(stopFd, tunFd, sock, timeout: -1);
                }
            }

            Volatile.Write(ref loop.Bytes, iterations > WarmUpIterations ? GC.GetAllocatedBytesForCurrentThread() - allocatedBefore : -2);
        }
        finally
        {
            ingress?.Close();
            egress.Close();
        }
    }

    /// <summary>Polls a queue thread's TUN queue and (if not -1) the socket for input, and the stop event; returns <see cref="TunReady"/> | <see cref="SocketReady"/>.</summary>
    private static unsafe int Poll(int stopFd, int tunFd, int socketFd, int timeout)
    {
        Libc.PollFd* fds = stackalloc Libc.PollFd[3];
        fds[0] = new Libc.PollFd { Fd = stopFd, Events = Libc.POLLIN };
        fds[1] = new Libc.PollFd { Fd = tunFd, Events = Libc.POLLIN };
        fds[2] = new Libc.PollFd { Fd = socketFd, Events = Libc.POLLIN };
        if (Libc.Poll(fds, socketFd < 0 ? 2u : 3u, timeout) <= 0)
        {
            return timeout == 0 ? 0 : TunReady | SocketReady;   // EINTR: look at both
        }

        return (fds[1].REvents != 0 ? TunReady : 0) | (socketFd >= 0 && fds[2].REvents != 0 ? SocketReady : 0);
    }

    /// <summary>
    /// Calls every P/Invoke of the packet loops once with an invalid descriptor (EBADF): the runtime binds a
    /// P/Invoke target lazily on its first call, which allocates a little, and that first call may otherwise
    /// fall after the warm-up (e.g. the first <c>poll</c> when traffic never pauses early on).
    /// </summary>
    private static unsafe void BindSystemCalls()
    {
        _ = Libc.Poll(null, 0, 0);
        _ = Libc.Read(-1, null, 0);
        _ = Libc.Write(-1, null, 0);
        _ = Libc.WriteV(-1, null, 0);
        _ = Libc.SendMsg(-1, null, 0);
        _ = Libc.SendMMsg(-1, null, 0, 0);
        _ = Libc.RecvMMsg(-1, null, 0, 0, null);
        _ = Marshal.GetLastPInvokeError();
    }

    /// <summary>Bytes a worker thread allocated in its packet loop after the warm-up iterations (set when the loop ends; expected 0; -2 if the loop never got past the warm-up).</summary>
    internal sealed class LoopAllocation
    {
        public long Bytes = -1;
    }
}
