using System.Runtime.InteropServices;
using System.Text;
using Overlay.Encap.Internal;
using Overlay.Encap.Internal.Interop;

namespace Overlay.Encap;

/// <summary>Offloads a TUN device may accept from the kernel (<c>TUNSETOFFLOAD</c>); they require <see cref="TunDeviceOptions.VirtioNetHeader"/>.</summary>
[Flags]
public enum TunOffloads
{
    /// <summary>No offloads: every packet read is complete with full checksums.</summary>
    None = 0,

    /// <summary><c>TUN_F_CSUM</c>: packets may carry partial checksums (<see cref="VirtioNetHeader.NeedsChecksum"/>).</summary>
    Checksum = 1,

    /// <summary><c>TUN_F_TSO4</c>: TCP/IPv4 super-packets up to 64 KiB (requires <see cref="Checksum"/>).</summary>
    TcpSegmentationIPv4 = 2,

    /// <summary><c>TUN_F_TSO6</c>: TCP/IPv6 super-packets (requires <see cref="Checksum"/>).</summary>
    TcpSegmentationIPv6 = 4,

    /// <summary><c>TUN_F_TSO_ECN</c>: TSO packets with ECN (CWR) set.</summary>
    TcpSegmentationEcn = 8,

    /// <summary><c>TUN_F_USO4</c>: UDP/IPv4 segmentation offload.</summary>
    UdpSegmentationIPv4 = 0x20,

    /// <summary><c>TUN_F_USO6</c>: UDP/IPv6 segmentation offload.</summary>
    UdpSegmentationIPv6 = 0x40,
}

/// <summary>How to create or attach a TUN device.</summary>
public sealed record TunDeviceOptions
{
    /// <summary>The interface name (at most 15 bytes); may be a template such as <c>flannel%d</c>. Empty lets the kernel pick <c>tun%d</c>.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>Open with <c>IFF_VNET_HDR</c>: every read and write starts with a <see cref="VirtioNetHeader"/>.</summary>
    public bool VirtioNetHeader { get; init; }

    /// <summary>Offloads to request with <c>TUNSETOFFLOAD</c> (only with <see cref="VirtioNetHeader"/>). If the kernel refuses, none are used.</summary>
    public TunOffloads Offloads { get; init; }

    /// <summary>Open with <c>IFF_MULTI_QUEUE</c> so that <see cref="TunDevice.AttachQueue"/> can open more queues.</summary>
    public bool MultiQueue { get; init; }
}

/// <summary>
/// A Linux TUN device (<c>/dev/net/tun</c>, <c>IFF_TUN | IFF_NO_PI</c>) carrying raw IP packets, optionally with
/// virtio-net headers and offloads, and with several queues. The device exists while a queue is open.
/// </summary>
/// <remarks>
/// <para>
/// <b>Namespaces.</b> A TUN device is created in the network namespace of the <em>calling thread</em>. Overlay.Encap
/// references nothing of ours, so to create one inside another namespace, enter it on a dedicated thread
/// (e.g. with Overlay.Netlink's <c>NetworkNamespace</c>) and call <see cref="Create"/> there. The descriptor stays in
/// that namespace and can then be used from any thread.
/// </para>
/// <para>The descriptor is non-blocking. <see cref="ReadAsync"/> and <see cref="WriteAsync"/> wait for readiness on
/// a shared epoll thread, never on a pool thread (the descriptor is armed there only while an await is pending, so
/// a queue read by a dedicated thread costs that shared thread nothing); <see cref="Read(Span{byte}, CancellationToken)"/> blocks the calling
/// (dedicated) thread in <c>poll</c>. One reader and one writer per queue at a time.</para>
/// </remarks>
public sealed class TunDevice : IDisposable
{
    private readonly SafeFileDescriptor _fd;
    private readonly SafeFileDescriptor _wakeup;
    private readonly FdReadiness _readiness;
    private int _disposed;

    private TunDevice(SafeFileDescriptor fd, string name, TunDeviceOptions options, TunOffloads offloads)
    {
        _fd = fd;
        Name = name;
        Options = options;
        Offloads = offloads;
        int wake = Libc.EventFd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        if (wake < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            fd.Dispose();
            throw EncapException.FromErrno("eventfd", errno);
        }

        _wakeup = new SafeFileDescriptor(wake);
        _readiness = FdPoller.Instance.Register(fd.Fd);
    }

    /// <summary>The interface name the kernel assigned.</summary>
    public string Name { get; }

    /// <summary>The options this queue was opened with.</summary>
    public TunDeviceOptions Options { get; }

    /// <summary>Whether reads and writes carry a <see cref="VirtioNetHeader"/>.</summary>
    public bool HasVirtioNetHeader => Options.VirtioNetHeader;

    /// <summary>The offloads the kernel accepted (<see cref="TunOffloads.None"/> if it refused the requested set).</summary>
    public TunOffloads Offloads { get; }

    /// <summary>The raw descriptor, for the engine's own system calls.</summary>
    internal int Fd => _fd.Fd;

    internal SafeFileDescriptor Handle => _fd;

    /// <summary>The shared poller's view of this queue (tests check that an unawaited queue never wakes it).</summary>
    internal FdReadiness Readiness => _readiness;

    /// <summary>The interface index in the namespace the device lives in (looked up in the calling thread's namespace).</summary>
    public int GetInterfaceIndex() => (int)Libc.IfNameToIndex(Name);

    /// <summary>
    /// Creates (or attaches to, if it exists and is not busy) the TUN device <see cref="TunDeviceOptions.Name"/>
    /// in the calling thread's network namespace.
    /// </summary>
    /// <param name="options">The device options.</param>
    /// <returns>The first queue of the device.</returns>
    /// <exception cref="EncapException">Opening <c>/dev/net/tun</c> or <c>TUNSETIFF</c> failed (e.g. EPERM without CAP_NET_ADMIN).</exception>
    public static TunDevice Create(TunDeviceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Encoding.UTF8.GetByteCount(options.Name) >= Libc.IfNameSize)
        {
            throw new ArgumentException("An interface name has at most 15 bytes.", nameof(options));
        }

        return Open(options, attach: false);
    }

    /// <summary>Opens one more queue of this multi-queue device (<c>IFF_MULTI_QUEUE</c>), for one more worker.</summary>
    /// <returns>The new queue, with the same options.</returns>
    /// <exception cref="InvalidOperationException">The device was not created with <see cref="TunDeviceOptions.MultiQueue"/>.</exception>
    public TunDevice AttachQueue()
    {
        if (!Options.MultiQueue)
        {
            throw new InvalidOperationException("The device was not created with MultiQueue.");
        }

        return Open(Options with { Name = Name }, attach: true);
    }

    private static unsafe TunDevice Open(TunDeviceOptions options, bool attach)
    {
        int fd = Libc.Open("/dev/net/tun", Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            throw EncapException.FromErrno("open /dev/net/tun", Marshal.GetLastPInvokeError());
        }

        var handle = new SafeFileDescriptor(fd);
        try
        {
            byte* ifr = stackalloc byte[Libc.IfReqSize];
            new Span<byte>(ifr, Libc.IfReqSize).Clear();
            Encoding.UTF8.GetBytes(options.Name, new Span<byte>(ifr, Libc.IfNameSize - 1));
            short flags = Libc.IFF_TUN | Libc.IFF_NO_PI;
            if (options.VirtioNetHeader)
            {
                flags |= Libc.IFF_VNET_HDR;
            }

            if (options.MultiQueue)
            {
                flags |= Libc.IFF_MULTI_QUEUE;
            }

            *(short*)(ifr + Libc.IfNameSize) = flags;
            if (Libc.Ioctl(fd, Libc.TUNSETIFF, ifr) != 0)
            {
                throw EncapException.FromErrno($"TUNSETIFF {options.Name}", Marshal.GetLastPInvokeError());
            }

            string name = Encoding.UTF8.GetString(new ReadOnlySpan<byte>(ifr, Libc.IfNameSize).TrimEnd((byte)0));
            TunOffloads offloads = TunOffloads.None;
            if (options.VirtioNetHeader)
            {
                // Offloads are a property of the device; setting them again on an attached queue is harmless.
                if (options.Offloads != TunOffloads.None)
                {
                    if (Libc.Ioctl(fd, Libc.TUNSETOFFLOAD, (void*)(nuint)(uint)options.Offloads) == 0)
                    {
                        offloads = options.Offloads;
                    }
                }
                else
                {
                    _ = Libc.Ioctl(fd, Libc.TUNSETOFFLOAD, null);
                }
            }

            _ = attach;
            return new TunDevice(handle, name, options, offloads);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Reads one packet if one is queued, without waiting.</summary>
    /// <param name="buffer">Room for the largest packet (64 KiB + virtio header with TSO; MTU otherwise).</param>
    /// <param name="bytesRead">The packet length (including the virtio header when enabled).</param>
    /// <returns><see langword="false"/> if nothing was queued.</returns>
    /// <exception cref="EncapException">The read failed.</exception>
    public unsafe bool TryRead(Span<byte> buffer, out int bytesRead)
    {
        fixed (byte* p = buffer)
        {
            nint n = Libc.Read(Fd, p, (nuint)buffer.Length);
            if (n >= 0)
            {
                bytesRead = (int)n;
                return true;
            }
        }

        int errno = Marshal.GetLastPInvokeError();
        bytesRead = 0;
        if (errno is Libc.EAGAIN or Libc.EINTR)
        {
            return false;
        }

        throw EncapException.FromErrno($"read {Name}", errno);
    }

    /// <summary>Reads one packet, blocking the calling thread (in <c>poll</c>) until one arrives, the token is cancelled or the device is disposed.</summary>
    /// <param name="buffer">Room for the largest packet.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The packet length.</returns>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The device was disposed.</exception>
    public int Read(Span<byte> buffer, CancellationToken cancellationToken = default)
    {
        using CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static s => Libc.SignalEventFd(((TunDevice)s!)._wakeup.Fd), this)
            : default;
        while (true)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            cancellationToken.ThrowIfCancellationRequested();
            if (TryRead(buffer, out int n))
            {
                return n;
            }

            WaitReadable(Fd, _wakeup.Fd);
        }
    }

    internal static unsafe void WaitReadable(int fd, int wakeFd)
    {
        Libc.PollFd* fds = stackalloc Libc.PollFd[2];
        fds[0] = new Libc.PollFd { Fd = fd, Events = Libc.POLLIN };
        fds[1] = new Libc.PollFd { Fd = wakeFd, Events = Libc.POLLIN };
        _ = Libc.Poll(fds, 2, -1);
        if ((fds[1].REvents & Libc.POLLIN) != 0)
        {
            Libc.DrainEventFd(wakeFd);
        }
    }

    /// <summary>Reads one packet asynchronously; waiting happens on the shared epoll thread, not on a pool thread.</summary>
    /// <param name="buffer">Room for the largest packet.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The packet length.</returns>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (TryRead(buffer.Span, out int n))
            {
                return n;
            }

            await _readiness.WaitAsync(write: false, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Writes one packet (a complete IP packet; when <see cref="HasVirtioNetHeader"/>, an all-zero virtio header is
    /// put in front of it with <c>writev</c>, so the packet must carry full checksums).
    /// </summary>
    /// <param name="packet">The IP packet.</param>
    /// <returns><see langword="false"/> if the kernel had no room (EAGAIN).</returns>
    /// <exception cref="EncapException">The write failed (e.g. EINVAL for a malformed packet).</exception>
    public unsafe bool TryWrite(ReadOnlySpan<byte> packet)
    {
        nint n;
        fixed (byte* p = packet)
        {
            if (HasVirtioNetHeader)
            {
                ulong zero0 = 0;
                Libc.IoVec* iov = stackalloc Libc.IoVec[2];
                iov[0] = new Libc.IoVec { Base = &zero0, Length = VirtioNetHeader.Length };
                iov[1] = new Libc.IoVec { Base = p, Length = (nuint)packet.Length };
                n = Libc.WriteV(Fd, iov, 2);
            }
            else
            {
                n = Libc.Write(Fd, p, (nuint)packet.Length);
            }
        }

        return CheckWrite(n);
    }

    /// <summary>Writes bytes as they are: with <see cref="HasVirtioNetHeader"/> they must start with a <see cref="VirtioNetHeader"/>.</summary>
    /// <param name="frame">Virtio header (if enabled) and packet.</param>
    /// <returns><see langword="false"/> if the kernel had no room (EAGAIN).</returns>
    /// <exception cref="EncapException">The write failed.</exception>
    public unsafe bool TryWriteRaw(ReadOnlySpan<byte> frame)
    {
        nint n;
        fixed (byte* p = frame)
        {
            n = Libc.Write(Fd, p, (nuint)frame.Length);
        }

        return CheckWrite(n);
    }

    private bool CheckWrite(nint n)
    {
        if (n >= 0)
        {
            return true;
        }

        int errno = Marshal.GetLastPInvokeError();
        if (errno is Libc.EAGAIN or Libc.EINTR)
        {
            return false;
        }

        throw EncapException.FromErrno($"write {Name}", errno);
    }

    /// <summary>Writes one packet (see <see cref="TryWrite"/>), waiting asynchronously for room if needed.</summary>
    /// <param name="packet">The IP packet.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the packet was written.</returns>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (TryWrite(packet.Span))
            {
                return;
            }

            await _readiness.WaitAsync(write: true, cancellationToken).ConfigureAwait(false);
        }
    }

    internal int WakeupFd => _wakeup.Fd;

    /// <summary>Wakes a thread blocked in <see cref="Read(Span{byte}, CancellationToken)"/> (it then re-checks its token).</summary>
    internal void Wake() => Libc.SignalEventFd(_wakeup.Fd);

    /// <summary>Closes this queue; the device disappears when its last queue is closed.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Libc.SignalEventFd(_wakeup.Fd);
        FdPoller.Instance.Unregister(_fd.Fd);
        _fd.Dispose();
        _wakeup.Dispose();
    }
}
