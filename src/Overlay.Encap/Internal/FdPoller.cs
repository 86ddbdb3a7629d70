using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Overlay.Encap.Internal.Interop;

namespace Overlay.Encap.Internal;

/// <summary>
/// Readiness notifications for non-blocking descriptors that are not sockets (TUN fds): one dedicated background
/// thread in <c>epoll_wait</c>, so async reads and writes never block pool threads.
/// </summary>
/// <remarks>
/// A descriptor is armed only while somebody awaits it, level-triggered and one-shot (<c>EPOLLONESHOT</c>): a TUN
/// queue served by the engine's own threads (which wait in <c>poll</c>) never wakes this thread, so the packet path
/// pays for no extra thread wake-up, and an await that starts when the descriptor is already ready completes at once.
/// </remarks>
internal sealed unsafe class FdPoller
{
    private static readonly Lazy<FdPoller> s_instance = new(() => new FdPoller());
    private readonly int _epoll;
    private readonly ConcurrentDictionary<int, FdReadiness> _registrations = new();

    private FdPoller()
    {
        _epoll = Libc.EpollCreate1(Libc.EPOLL_CLOEXEC);
        if (_epoll < 0)
        {
            throw EncapException.FromErrno("epoll_create1", Marshal.GetLastPInvokeError());
        }

        var thread = new Thread(Run) { IsBackground = true, Name = "Overlay.Encap poller" };
        thread.Start();
    }

    public static FdPoller Instance => s_instance.Value;

    /// <summary>Creates the readiness of <paramref name="fd"/>; nothing is registered with epoll until the first wait.</summary>
    public FdReadiness Register(int fd)
    {
        var readiness = new FdReadiness(this, fd);
        _registrations[fd] = readiness;
        return readiness;
    }

    public void Unregister(int fd)
    {
        if (_registrations.TryRemove(fd, out FdReadiness? readiness))
        {
            readiness.Close();
        }
    }

    /// <summary>Adds or re-arms <paramref name="fd"/> for <paramref name="events"/>, one-shot; returns 0 or an errno.</summary>
    internal int Arm(int fd, uint events, bool add)
    {
        byte* ev = stackalloc byte[16];
        Libc.WriteEpollEvent(ev, events | Libc.EPOLLONESHOT, (ulong)fd);
        return Libc.EpollCtl(_epoll, add ? Libc.EPOLL_CTL_ADD : Libc.EPOLL_CTL_MOD, fd, ev) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    internal void Remove(int fd) => _ = Libc.EpollCtl(_epoll, Libc.EPOLL_CTL_DEL, fd, null);

    private void Run()
    {
        const int MaxEvents = 64;
        int size = Libc.EpollEventSize;
        byte* events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * size));
        while (true)
        {
            int n = Libc.EpollWait(_epoll, events, MaxEvents, -1);
            for (int i = 0; i < n; i++)
            {
                Libc.ReadEpollEvent(events + (i * size), out uint mask, out ulong data);
                if (_registrations.TryGetValue((int)data, out FdReadiness? readiness))
                {
                    readiness.Signal(mask);
                }
            }
        }
    }
}

/// <summary>The readiness of one descriptor, with one reader and one writer waiting at most.</summary>
internal sealed class FdReadiness
{
    private readonly FdPoller _poller;
    private readonly int _fd;
    private readonly Lock _lock = new();
    private TaskCompletionSource? _readWaiter;
    private TaskCompletionSource? _writeWaiter;
    private bool _added;
    private bool _closed;
    private long _signals;

    public FdReadiness(FdPoller poller, int fd)
    {
        _poller = poller;
        _fd = fd;
    }

    /// <summary>How many events the poller thread delivered for this descriptor (for tests: an unawaited descriptor gets none).</summary>
    public long Signals => Volatile.Read(ref _signals);

    /// <summary>
    /// Waits until the descriptor is readable (or writable). Level-triggered: if it already is when the wait is armed,
    /// the task completes at once, so a caller may try its operation, see EAGAIN, and then wait without a lost wake-up.
    /// </summary>
    public Task WaitAsync(bool write, CancellationToken cancellationToken)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, typeof(TunDevice));
            if (write)
            {
                _writeWaiter = tcs;
            }
            else
            {
                _readWaiter = tcs;
            }

            int errno = ArmLocked();
            if (errno != 0)
            {
                if (write)
                {
                    _writeWaiter = null;
                }
                else
                {
                    _readWaiter = null;
                }

                throw EncapException.FromErrno("epoll_ctl", errno);
            }
        }

        return tcs.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Called by the poller thread; the one-shot event disarmed the descriptor, so the other direction is re-armed if awaited.</summary>
    public void Signal(uint mask)
    {
        TaskCompletionSource? reader = null;
        TaskCompletionSource? writer = null;
        Interlocked.Increment(ref _signals);
        lock (_lock)
        {
            if ((mask & (Libc.EPOLLIN | Libc.EPOLLERR | Libc.EPOLLHUP)) != 0)
            {
                (reader, _readWaiter) = (_readWaiter, null);
            }

            if ((mask & (Libc.EPOLLOUT | Libc.EPOLLERR | Libc.EPOLLHUP)) != 0)
            {
                (writer, _writeWaiter) = (_writeWaiter, null);
            }

            if (!_closed && (_readWaiter is not null || _writeWaiter is not null) && ArmLocked() != 0)
            {
                // Re-arming failed (the descriptor is going away): let the remaining waiter retry its operation.
                (reader, _readWaiter) = (reader ?? _readWaiter, null);
                (writer, _writeWaiter) = (writer ?? _writeWaiter, null);
            }
        }

        reader?.TrySetResult();
        writer?.TrySetResult();
    }

    public void Close()
    {
        TaskCompletionSource? reader;
        TaskCompletionSource? writer;
        lock (_lock)
        {
            _closed = true;
            if (_added)
            {
                _poller.Remove(_fd);
            }

            (reader, _readWaiter) = (_readWaiter, null);
            (writer, _writeWaiter) = (_writeWaiter, null);
        }

        reader?.TrySetException(new ObjectDisposedException(nameof(TunDevice)));
        writer?.TrySetException(new ObjectDisposedException(nameof(TunDevice)));
    }

    private int ArmLocked()
    {
        uint events = (_readWaiter is null ? 0 : Libc.EPOLLIN) | (_writeWaiter is null ? 0 : Libc.EPOLLOUT);
        int errno = _poller.Arm(_fd, events, add: !_added);
        if (errno == 0)
        {
            _added = true;
        }

        return errno;
    }
}
