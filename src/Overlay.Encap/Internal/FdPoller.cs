using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Overlay.Encap.Internal.Interop;

namespace Overlay.Encap.Internal;

/// <summary>
/// Readiness notifications for non-blocking descriptors that are not sockets (TUN fds): one dedicated
/// background thread in <c>epoll_wait</c>, edge-triggered, so async reads and writes never block pool threads.
/// </summary>
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

    public FdReadiness Register(int fd)
    {
        var readiness = new FdReadiness();
        _registrations[fd] = readiness;
        byte* ev = stackalloc byte[16];
        Libc.WriteEpollEvent(ev, Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLET, (ulong)fd);
        if (Libc.EpollCtl(_epoll, Libc.EPOLL_CTL_ADD, fd, ev) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            _registrations.TryRemove(fd, out _);
            throw EncapException.FromErrno("epoll_ctl", errno);
        }

        return readiness;
    }

    public void Unregister(int fd)
    {
        _ = Libc.EpollCtl(_epoll, Libc.EPOLL_CTL_DEL, fd, null);
        if (_registrations.TryRemove(fd, out FdReadiness? readiness))
        {
            readiness.Close();
        }
    }

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

/// <summary>Edge-triggered readiness of one descriptor, with one reader and one writer waiting at most.</summary>
internal sealed class FdReadiness
{
    private int _readEvents;
    private int _writeEvents;
    private TaskCompletionSource? _readWaiter;
    private TaskCompletionSource? _writeWaiter;
    private volatile bool _closed;

    public int ReadEvents => Volatile.Read(ref _readEvents);

    public int WriteEvents => Volatile.Read(ref _writeEvents);

    public void Signal(uint mask)
    {
        if ((mask & (Libc.EPOLLIN | Libc.EPOLLERR | Libc.EPOLLHUP)) != 0)
        {
            Interlocked.Increment(ref _readEvents);
            Interlocked.Exchange(ref _readWaiter, null)?.TrySetResult();
        }

        if ((mask & (Libc.EPOLLOUT | Libc.EPOLLERR | Libc.EPOLLHUP)) != 0)
        {
            Interlocked.Increment(ref _writeEvents);
            Interlocked.Exchange(ref _writeWaiter, null)?.TrySetResult();
        }
    }

    public Task WaitAsync(bool write, int observedEvents, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (write)
        {
            Volatile.Write(ref _writeWaiter, tcs);
            if (WriteEvents != observedEvents)
            {
                tcs.TrySetResult();
            }
        }
        else
        {
            Volatile.Write(ref _readWaiter, tcs);
            if (ReadEvents != observedEvents)
            {
                tcs.TrySetResult();
            }
        }

        return tcs.Task.WaitAsync(cancellationToken);
    }

    public void Close()
    {
        _closed = true;
        Interlocked.Exchange(ref _readWaiter, null)?.TrySetException(new ObjectDisposedException(nameof(TunDevice)));
        Interlocked.Exchange(ref _writeWaiter, null)?.TrySetException(new ObjectDisposedException(nameof(TunDevice)));
    }
}
