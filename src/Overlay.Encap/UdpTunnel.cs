using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Encap.Internal;
using Overlay.Encap.Internal.Interop;

namespace Overlay.Encap;

/// <summary>
/// The user-space data path of flannel's <c>udp</c> backend, done fast: moves IPv4 packets between a TUN device and
/// a UDP socket, one raw inner packet per datagram (flannel's wire format), with a longest-prefix-match peer table,
/// ICMP network-unreachable for unknown destinations, a sender check, and no allocation per packet.
/// </summary>
/// <remarks>
/// <para>
/// One dedicated thread per TUN queue reads the TUN (TUN→UDP) and one reads the socket (UDP→TUN). With a TUN opened
/// with <see cref="TunDeviceOptions.VirtioNetHeader"/> and <see cref="TunOffloads.TcpSegmentationIPv4"/>, TCP
/// super-packets are segmented in user space and sent with UDP GSO; received datagrams (with UDP GRO) are coalesced
/// back into super-packets. Each offload is probed and falls back cleanly, logged once.
/// </para>
/// <para>
/// <b>Namespaces.</b> The UDP socket is created by the constructor in the network namespace of the <em>calling
/// thread</em>, like the TUN device; construct both on a thread that has entered the target namespace.
/// </para>
/// <para>The TTL of inner packets is left alone: the kernels on both sides decrement it when they forward.</para>
/// </remarks>
public sealed class UdpTunnel : IAsyncDisposable
{
    /// <summary>The name of the meter the tunnel reports on.</summary>
    public const string MeterName = "Overlay.Encap";

    private const int MaxSegmentsPerSend = 64;
    private const int MaxGsoBytes = ushort.MaxValue - IPv4Header.MinimumLength - UdpHeader.Length;   // 65,507: one IPv4 datagram
    private const int ReceiveBufferSize = 65536;

    private readonly TunDevice[] _queues;
    private readonly UdpTunnelOptions _options;
    private readonly ILogger _logger;
    private readonly SafeFileDescriptor _socket;
    private readonly SafeFileDescriptor _stop;
    private readonly TunnelForwarder _forwarder;
    private readonly uint _icmpSource;
    private readonly Meter _meter;
    private readonly List<WorkerCounters> _counters = [];
    private readonly Lock _gate = new();
    private TaskCompletionSource? _completion;
    private volatile bool _stopping;
    private volatile bool _gso;
    private int _gsoWarned;
    private int _running;
    private Exception? _failure;

    /// <summary>Creates a tunnel over one TUN queue and binds its UDP socket (in the calling thread's namespace).</summary>
    /// <param name="tun">The TUN device; the caller keeps ownership.</param>
    /// <param name="options">The settings.</param>
    /// <param name="loggerFactory">Logging; null logs nothing.</param>
    public UdpTunnel(TunDevice tun, UdpTunnelOptions options, ILoggerFactory? loggerFactory = null)
        : this([tun], options, loggerFactory)
    {
    }

    /// <summary>Creates a tunnel with one TUN→UDP worker per TUN queue and binds its UDP socket (in the calling thread's namespace).</summary>
    /// <param name="queues">The queues of one TUN device (see <see cref="TunDevice.AttachQueue"/>); the caller keeps ownership.</param>
    /// <param name="options">The settings.</param>
    /// <param name="loggerFactory">Logging; null logs nothing.</param>
    /// <exception cref="EncapException">The socket could not be created or bound.</exception>
    public UdpTunnel(IReadOnlyList<TunDevice> queues, UdpTunnelOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(options);
        if (queues.Count == 0)
        {
            throw new ArgumentException("At least one TUN queue is required.", nameof(queues));
        }

        options.Validate();
        _queues = [.. queues];
        _options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Overlay.Encap.UdpTunnel");
        Peers = new UdpTunnelPeerTable();
        Peers.Changed += OnPeerChanged;
        _forwarder = new TunnelForwarder(Peers, options.CheckSenderAddress, options.MaxPacketSize);
        _icmpSource = options.LocalOverlayAddress is null ? 0 : IPv4Header.ToUInt32(options.LocalOverlayAddress);

        (_socket, LocalEndpoint) = UdpSocket.Create(options.LocalEndpoint, options.SocketBufferSize);
        int stop = Libc.EventFd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        if (stop < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            _socket.Dispose();
            throw EncapException.FromErrno("eventfd", errno);
        }

        _stop = new SafeFileDescriptor(stop);

        if (options.UdpSegmentationOffload)
        {
            _gso = UdpSocket.ProbeSegmentation(_socket.Fd, out string? reason);
            if (!_gso)
            {
                Log.OffloadUnavailable(_logger, "UDP GSO (UDP_SEGMENT)", reason!, "sendmmsg");
            }
        }

        if (options.UdpReceiveOffload)
        {
            UsesUdpReceiveOffload = UdpSocket.EnableGro(_socket.Fd, out string? reason);
            if (!UsesUdpReceiveOffload)
            {
                Log.OffloadUnavailable(_logger, "UDP GRO (UDP_GRO)", reason!, "recvmmsg of single datagrams");
            }
        }

        TunDevice first = _queues[0];
        if (options.CoalesceTcp && first.HasVirtioNetHeader)
        {
            CoalescesTcp = true;
        }
        else if (options.CoalesceTcp)
        {
            Log.OffloadUnavailable(_logger, "TCP coalescing on TUN writes", "the TUN device has no virtio-net header", "one write per packet");
        }

        if (first.HasVirtioNetHeader && (first.Offloads & TunOffloads.TcpSegmentationIPv4) == 0 && first.Options.Offloads != TunOffloads.None)
        {
            Log.OffloadUnavailable(_logger, "TUN TSO (TUNSETOFFLOAD)", "the kernel refused the requested offloads", "one TUN read per packet");
        }

        _meter = options.MeterFactory?.Create(MeterName) ?? new Meter(MeterName);
        var deviceTag = new KeyValuePair<string, object?>("overlay.tun", first.Name);
        _meter.CreateObservableCounter("overlay.encap.tunnel.packets", () => Measure(deviceTag, 0, 2), "{packet}", "Inner packets moved, by direction (egress: TUN to UDP after segmentation; ingress: UDP to TUN before coalescing).");
        _meter.CreateObservableCounter("overlay.encap.tunnel.bytes", () => Measure(deviceTag, 1, 3), "By", "Inner bytes moved, by direction.");
        _meter.CreateObservableCounter("overlay.encap.tunnel.drops", () => MeasureDrops(deviceTag), "{packet}", "Packets dropped, by reason.");
        _meter.CreateObservableCounter("overlay.encap.tunnel.icmp_unreachable", () => new Measurement<long>(Sum(4), deviceTag), "{packet}", "ICMP destination-unreachable messages written into the TUN.");
        _meter.CreateObservableCounter("overlay.encap.tunnel.syscalls", MeasureSyscalls(deviceTag), "{call}", "Data-path system calls, by operation (send, receive, tun_read, tun_write).");
    }

    /// <summary>The peer table; update it at any time, also while packets flow.</summary>
    public UdpTunnelPeerTable Peers { get; }

    /// <summary>The address and port the UDP socket is bound to (the port is resolved if 0 was requested).</summary>
    public IPEndPoint LocalEndpoint { get; }

    /// <summary>Whether TCP segments are currently sent with UDP GSO.</summary>
    public bool UsesUdpSegmentationOffload => _gso;

    /// <summary>Whether the socket receives with UDP GRO.</summary>
    public bool UsesUdpReceiveOffload { get; }

    /// <summary>Whether received TCP segments are coalesced into super-packets on TUN writes.</summary>
    public bool CoalescesTcp { get; }

    internal TunnelForwarder Forwarder => _forwarder;

    /// <summary>
    /// Starts the workers (dedicated threads) and completes when the tunnel stops: when <paramref name="cancellationToken"/>
    /// is cancelled, on <see cref="DisposeAsync"/>, or with the exception of a failed worker.
    /// </summary>
    /// <param name="cancellationToken">Stops the tunnel.</param>
    /// <returns>A task that completes when every worker has exited.</returns>
    /// <exception cref="InvalidOperationException">The tunnel was already started.</exception>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            if (_completion is not null)
            {
                throw new InvalidOperationException("The tunnel is already running.");
            }

            _completion = completion;
        }

        _running = _queues.Length + 1;
        Log.TunnelStarted(_logger, _queues[0].Name, LocalEndpoint, _queues.Length, _queues[0].Offloads, _gso, UsesUdpReceiveOffload, CoalescesTcp, _options.BatchSize);
        for (int i = 0; i < _queues.Length; i++)
        {
            var worker = new EgressWorker(this, _queues[i], NewCounters());
            StartThread($"ovl-tx{i}", worker.Run);
        }

        var ingress = new IngressWorker(this, _queues[0], NewCounters());
        StartThread("ovl-rx", ingress.Run);

        using (cancellationToken.UnsafeRegister(static s => ((UdpTunnel)s!).RequestStop(), this))
        {
            await completion.Task.ConfigureAwait(false);
        }
    }

    private WorkerCounters NewCounters()
    {
        var counters = new WorkerCounters();
        lock (_gate)
        {
            _counters.Add(counters);
        }

        return counters;
    }

    private void StartThread(string name, Action body)
    {
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
#pragma warning disable CA1031 // a worker's failure is reported through RunAsync
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.WorkerFailed(_logger, name, _queues[0].Name, ex);
                Interlocked.CompareExchange(ref _failure, ex, null);
                RequestStop();
            }
            finally
            {
                if (Interlocked.Decrement(ref _running) == 0)
                {
                    Log.TunnelStopped(_logger, _queues[0].Name);
                    if (_failure is { } failure)
                    {
                        _completion!.TrySetException(failure);
                    }
                    else
                    {
                        _completion!.TrySetResult();
                    }
                }
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
    }

    private void RequestStop()
    {
        _stopping = true;
        Libc.SignalEventFd(_stop.Fd);
    }

    /// <summary>A snapshot of the counters.</summary>
    /// <returns>The statistics.</returns>
    public UdpTunnelStatistics GetStatistics()
    {
        long[] values = new long[WorkerCounters.ValueCount];
        long[] drops = new long[WorkerCounters.DropCount];
        lock (_gate)
        {
            foreach (WorkerCounters c in _counters)
            {
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] += Volatile.Read(ref c.Values[i]);
                }

                for (int i = 0; i < drops.Length; i++)
                {
                    drops[i] += Volatile.Read(ref c.Drops[i]);
                }
            }
        }

        return new UdpTunnelStatistics(values, drops);
    }

    /// <summary>Per worker, the bytes allocated in its packet loop after warm-up (-1 while it runs, -2 if not measured); for the allocation guard in tests.</summary>
    internal long[] GetLoopAllocatedBytes()
    {
        lock (_gate)
        {
            return [.. _counters.Select(c => Volatile.Read(ref c.LoopAllocatedBytes))];
        }
    }

    /// <summary>Stops the workers, waits for them, and closes the UDP socket. The TUN queues stay open (the caller owns them).</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        Task? running;
        lock (_gate)
        {
            if (_stopping && _socket.IsClosed)
            {
                return;
            }

            running = _completion?.Task;
        }

        RequestStop();
        if (running is not null)
        {
            try
            {
                await running.ConfigureAwait(false);
            }
#pragma warning disable CA1031 // the failure was already logged and surfaced by RunAsync
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        Peers.Changed -= OnPeerChanged;
        _socket.Dispose();
        _stop.Dispose();
        _meter.Dispose();
    }

    private void OnPeerChanged(IPNetwork subnet, IPEndPoint? endpoint)
    {
        if (endpoint is null)
        {
            Log.PeerRemoved(_logger, subnet);
        }
        else
        {
            Log.PeerSet(_logger, subnet, endpoint);
        }
    }

    private long Sum(int index)
    {
        long total = 0;
        lock (_gate)
        {
            foreach (WorkerCounters c in _counters)
            {
                total += Volatile.Read(ref c.Values[index]);
            }
        }

        return total;
    }

    private Measurement<long>[] Measure(KeyValuePair<string, object?> device, int egressIndex, int ingressIndex) =>
    [
        new(Sum(egressIndex), device, new KeyValuePair<string, object?>("direction", "egress")),
        new(Sum(ingressIndex), device, new KeyValuePair<string, object?>("direction", "ingress")),
    ];

    private Func<IEnumerable<Measurement<long>>> MeasureSyscalls(KeyValuePair<string, object?> device) => () =>
    [
        new(Sum(5), device, new KeyValuePair<string, object?>("operation", "send")),
        new(Sum(6), device, new KeyValuePair<string, object?>("operation", "receive")),
        new(Sum(7), device, new KeyValuePair<string, object?>("operation", "tun_read")),
        new(Sum(8), device, new KeyValuePair<string, object?>("operation", "tun_write")),
    ];

    private IEnumerable<Measurement<long>> MeasureDrops(KeyValuePair<string, object?> device)
    {
        UdpTunnelStatistics stats = GetStatistics();
        return [.. stats.Drops.Select(d => new Measurement<long>(d.Value, device, new KeyValuePair<string, object?>("reason", d.Key.ToString())))];
    }

    private bool WaitReady(int fd, short events)
    {
        if (_stopping)
        {
            return false;
        }

        unsafe
        {
            Libc.PollFd* fds = stackalloc Libc.PollFd[2];
            fds[0] = new Libc.PollFd { Fd = fd, Events = events };
            fds[1] = new Libc.PollFd { Fd = _stop.Fd, Events = Libc.POLLIN };
            _ = Libc.Poll(fds, 2, -1);
        }

        return !_stopping;
    }

    private void DisableGso()
    {
        _gso = false;
        if (Interlocked.Exchange(ref _gsoWarned, 1) == 0)
        {
            Log.SegmentationOffloadDisabled(_logger);
        }
    }

    /// <summary>
    /// Loop iterations before a worker starts counting its allocations: the first ones load types and touch
    /// per-thread runtime state (one-time allocations); the steady state is what must not allocate.
    /// </summary>
    private const int WarmUpIterations = 128;

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

    /// <summary>Counters written by one worker thread only.</summary>
    internal sealed class WorkerCounters
    {
        public const int ValueCount = 9;
        public static readonly int DropCount = Enum.GetValues<UdpTunnelDropReason>().Length;
        public readonly long[] Values = new long[ValueCount];
        public readonly long[] Drops = new long[DropCount];

        /// <summary>Bytes the worker thread allocated in its packet loop after the warm-up iterations (set when the loop ends; expected 0; -2 if the loop never got past the warm-up).</summary>
        public long LoopAllocatedBytes = -1;

        public void Drop(int reason, long count = 1) => Volatile.Write(ref Drops[reason], Drops[reason] + count);

        public void Add(int index, long count) => Volatile.Write(ref Values[index], Values[index] + count);
    }

    /// <summary>TUN → UDP for one TUN queue.</summary>
    private sealed unsafe class EgressWorker
    {
        private const int EgressPackets = 0;
        private const int EgressBytes = 1;
        private const int Icmp = 4;
        private const int SendCalls = 5;
        private const int TunReads = 7;
        private const int TunWrites = 8;
        private const int SlotSize = VirtioNetHeader.Length + ushort.MaxValue + 1;

        private readonly UdpTunnel _tunnel;
        private readonly TunDevice _tun;
        private readonly WorkerCounters _counters;

        public EgressWorker(UdpTunnel tunnel, TunDevice tun, WorkerCounters counters)
        {
            _tunnel = tunnel;
            _tun = tun;
            _counters = counters;
        }

        public void Run()
        {
            UdpTunnel t = _tunnel;
            int batch = t._options.BatchSize;
            bool vnet = _tun.HasVirtioNetHeader;
            int headroom = vnet ? VirtioNetHeader.Length : 0;
            byte[] slots = GC.AllocateUninitializedArray<byte>(batch * SlotSize, pinned: true);
            byte[] segments = GC.AllocateUninitializedArray<byte>(2 * (ushort.MaxValue + 1), pinned: true);
            byte[] icmp = GC.AllocateUninitializedArray<byte>(IcmpDestinationUnreachable.MaximumLength, pinned: true);
            int messageCount = Math.Max(batch, MaxSegmentsPerSend);
            var messages = (Libc.MMsgHdr*)NativeMemory.AllocZeroed((nuint)(messageCount * sizeof(Libc.MMsgHdr)));
            var iovs = (Libc.IoVec*)NativeMemory.AllocZeroed((nuint)(messageCount * sizeof(Libc.IoVec)));
            var names = (Libc.SockAddrIn*)NativeMemory.AllocZeroed((nuint)(messageCount * sizeof(Libc.SockAddrIn)));
            byte* control = (byte*)NativeMemory.AllocZeroed(32);
            bool tunRef = false;
            bool sockRef = false;
            try
            {
                _tun.Handle.DangerousAddRef(ref tunRef);
                t._socket.DangerousAddRef(ref sockRef);
                int tunFd = _tun.Fd;
                int sock = t._socket.Fd;
                fixed (byte* slotBase = slots)
                fixed (byte* segBase = segments)
                {
                    int pending = 0;
                    BindSystemCalls();
                    long iterations = 0;
                    long allocatedBefore = 0;
                    while (!t._stopping)
                    {
                        if (++iterations == WarmUpIterations)
                        {
                            allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                        }

                        byte* slot = slotBase + (pending * SlotSize);
                        nint n = Libc.Read(tunFd, slot, SlotSize);
                        if (n < 0)
                        {
                            int errno = Marshal.GetLastPInvokeError();
                            if (errno == Libc.EAGAIN)
                            {
                                if (pending > 0)
                                {
                                    SendBatch(sock, messages, pending);
                                    pending = 0;
                                }
                                else
                                {
                                    t.WaitReady(tunFd, Libc.POLLIN);
                                }

                                continue;
                            }

                            if (errno == Libc.EINTR)
                            {
                                continue;
                            }

                            throw EncapException.FromErrno($"read {_tun.Name}", errno);
                        }

                        _counters.Add(TunReads, 1);
                        if (n <= headroom)
                        {
                            continue;
                        }

                        var packet = new Span<byte>(slot + headroom, (int)n - headroom);
                        int decision = t._forwarder.DecideEgress(packet, out UdpTunnelPeerTable.PeerEntry peer);
                        if (decision >= 0)
                        {
                            _counters.Drop(decision);
                            if (decision == (int)UdpTunnelDropReason.NoRoute && t._icmpSource != 0)
                            {
                                SendUnreachable(packet, icmp);
                            }

                            continue;
                        }

                        if (vnet)
                        {
                            VirtioNetHeader header = VirtioNetHeader.Read(new ReadOnlySpan<byte>(slot, VirtioNetHeader.Length));
                            if (header.GsoType != VirtioGsoType.None)
                            {
                                if (pending > 0)
                                {
                                    SendBatch(sock, messages, pending);
                                    pending = 0;
                                }

                                if (header.GsoType == VirtioGsoType.TcpV4 && header.GsoSize > 0)
                                {
                                    SendSuperPacket(sock, packet, header.GsoSize, peer, segBase, segments.Length, messages, iovs, names, control);
                                }
                                else
                                {
                                    _counters.Drop((int)UdpTunnelDropReason.BadOffload);
                                }

                                continue;
                            }

                            if (header.NeedsChecksum && !VirtioNetHeader.CompleteChecksum(packet, header.ChecksumStart, header.ChecksumOffset))
                            {
                                _counters.Drop((int)UdpTunnelDropReason.BadOffload);
                                continue;
                            }
                        }

                        SetMessage(messages, iovs, names, pending, slot + headroom, packet.Length, peer);
                        _counters.Add(EgressPackets, 1);
                        _counters.Add(EgressBytes, packet.Length);
                        pending++;
                        if (pending == batch)
                        {
                            SendBatch(sock, messages, pending);
                            pending = 0;
                        }
                    }

                    Volatile.Write(ref _counters.LoopAllocatedBytes, iterations > WarmUpIterations ? GC.GetAllocatedBytesForCurrentThread() - allocatedBefore : -2);
                }
            }
            finally
            {
                if (tunRef)
                {
                    _tun.Handle.DangerousRelease();
                }

                if (sockRef)
                {
                    t._socket.DangerousRelease();
                }

                NativeMemory.Free(messages);
                NativeMemory.Free(iovs);
                NativeMemory.Free(names);
                NativeMemory.Free(control);
            }
        }

        private static void SetMessage(Libc.MMsgHdr* messages, Libc.IoVec* iovs, Libc.SockAddrIn* names, int index, byte* data, int length, in UdpTunnelPeerTable.PeerEntry peer)
        {
            iovs[index].Base = data;
            iovs[index].Length = (nuint)length;
            names[index].Family = Libc.AF_INET;
            names[index].Port = BinaryPrimitives.ReverseEndianness(peer.Port);
            names[index].Address = BinaryPrimitives.ReverseEndianness(peer.Address);
            ref Libc.MsgHdr h = ref messages[index].Header;
            h.Name = &names[index];
            h.NameLength = (uint)sizeof(Libc.SockAddrIn);
            h.Iov = &iovs[index];
            h.IovLength = 1;
            h.Control = null;
            h.ControlLength = 0;
            h.Flags = 0;
        }

        private void SendBatch(int sock, Libc.MMsgHdr* messages, int count)
        {
            int sent = 0;
            while (sent < count)
            {
                int r = Libc.SendMMsg(sock, messages + sent, (uint)(count - sent), 0);
                _counters.Add(SendCalls, 1);
                if (r > 0)
                {
                    sent += r;
                    continue;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EAGAIN)
                {
                    if (!_tunnel.WaitReady(sock, Libc.POLLOUT))
                    {
                        return;
                    }

                    continue;
                }

                if (errno == Libc.EINTR)
                {
                    continue;
                }

                // The first remaining message failed (e.g. ENETUNREACH, EMSGSIZE): count it and go on.
                _counters.Drop((int)UdpTunnelDropReason.SendFailed);
                _counters.Add(EgressPackets, -1);
                _counters.Add(EgressBytes, -(long)messages[sent].Header.Iov->Length);
                sent++;
            }
        }

        private void SendSuperPacket(int sock, Span<byte> packet, int mss, in UdpTunnelPeerTable.PeerEntry peer, byte* segBase, int segCapacity,
            Libc.MMsgHdr* messages, Libc.IoVec* iovs, Libc.SockAddrIn* names, byte* control)
        {
            int count = TcpSegmenter.Segment(packet, mss, new Span<byte>(segBase, segCapacity), out int segmentLength, out int lastLength);
            if (count == 0)
            {
                _counters.Drop((int)UdpTunnelDropReason.BadOffload);
                return;
            }

            long totalBytes = ((long)(count - 1) * segmentLength) + lastLength;
            _counters.Add(EgressPackets, count);
            _counters.Add(EgressBytes, totalBytes);
            int index = 0;
            if (_tunnel._gso && count > 1)
            {
                int perCall = Math.Clamp(MaxGsoBytes / segmentLength, 1, MaxSegmentsPerSend);
                var name = new Libc.SockAddrIn
                {
                    Family = Libc.AF_INET,
                    Port = BinaryPrimitives.ReverseEndianness(peer.Port),
                    Address = BinaryPrimitives.ReverseEndianness(peer.Address),
                };
                var cmsg = (Libc.CMsgHdr*)control;
                cmsg->Length = (nuint)(sizeof(Libc.CMsgHdr) + sizeof(ushort));
                cmsg->Level = Libc.SOL_UDP;
                cmsg->Type = Libc.UDP_SEGMENT;
                *(ushort*)(control + sizeof(Libc.CMsgHdr)) = (ushort)segmentLength;
                while (index < count && _tunnel._gso)
                {
                    int k = Math.Min(perCall, count - index);
                    int bytes = index + k == count ? ((k - 1) * segmentLength) + lastLength : k * segmentLength;
                    var iov = new Libc.IoVec { Base = segBase + ((long)index * segmentLength), Length = (nuint)bytes };
                    var msg = new Libc.MsgHdr
                    {
                        Name = &name,
                        NameLength = (uint)sizeof(Libc.SockAddrIn),
                        Iov = &iov,
                        IovLength = 1,
                        Control = control,
                        ControlLength = 24,
                    };
                    nint r = Libc.SendMsg(sock, &msg, 0);
                    _counters.Add(SendCalls, 1);
                    if (r >= 0)
                    {
                        index += k;
                        continue;
                    }

                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Libc.EAGAIN)
                    {
                        if (!_tunnel.WaitReady(sock, Libc.POLLOUT))
                        {
                            return;
                        }
                    }
                    else if (errno == Libc.EIO)
                    {
                        _tunnel.DisableGso();
                    }
                    else if (errno != Libc.EINTR)
                    {
                        _counters.Drop((int)UdpTunnelDropReason.SendFailed, k);
                        _counters.Add(EgressPackets, -k);
                        _counters.Add(EgressBytes, -bytes);
                        index += k;
                    }
                }
            }

            while (index < count)
            {
                int k = Math.Min(MaxSegmentsPerSend, count - index);
                for (int j = 0; j < k; j++)
                {
                    int i = index + j;
                    int length = i == count - 1 ? lastLength : segmentLength;
                    SetMessage(messages, iovs, names, j, segBase + ((long)i * segmentLength), length, peer);
                }

                SendBatch(sock, messages, k);
                index += k;
            }
        }

        private void SendUnreachable(Span<byte> packet, byte[] buffer)
        {
            int length = IcmpDestinationUnreachable.TryWrite(packet, _tunnel._icmpSource, buffer);
            if (length == 0)
            {
                return;
            }

            try
            {
                if (_tun.TryWrite(buffer.AsSpan(0, length)))
                {
                    _counters.Add(Icmp, 1);
                    _counters.Add(TunWrites, 1);
                }
            }
            catch (EncapException)
            {
                // An ICMP error that cannot be delivered is not worth more than the packet it reports.
            }
        }
    }

    /// <summary>UDP → TUN.</summary>
    private sealed unsafe class IngressWorker
    {
        private const int IngressPackets = 2;
        private const int IngressBytes = 3;
        private const int ReceiveCalls = 6;
        private const int TunWrites = 8;
        private const int ControlSize = 64;

        private readonly UdpTunnel _tunnel;
        private readonly TunDevice _tun;
        private readonly WorkerCounters _counters;
        private readonly TcpCoalescer? _coalescer;

        public IngressWorker(UdpTunnel tunnel, TunDevice tun, WorkerCounters counters)
        {
            _tunnel = tunnel;
            _tun = tun;
            _counters = counters;
            _coalescer = tunnel.CoalescesTcp ? new TcpCoalescer() : null;
        }

        public void Run()
        {
            UdpTunnel t = _tunnel;
            int batch = t._options.BatchSize;
            byte[] buffers = GC.AllocateUninitializedArray<byte>(batch * ReceiveBufferSize, pinned: true);
            var messages = (Libc.MMsgHdr*)NativeMemory.AllocZeroed((nuint)(batch * sizeof(Libc.MMsgHdr)));
            var iovs = (Libc.IoVec*)NativeMemory.AllocZeroed((nuint)(batch * sizeof(Libc.IoVec)));
            var names = (Libc.SockAddrIn*)NativeMemory.AllocZeroed((nuint)(batch * sizeof(Libc.SockAddrIn)));
            byte* controls = (byte*)NativeMemory.AllocZeroed((nuint)(batch * ControlSize));
            bool tunRef = false;
            bool sockRef = false;
            try
            {
                _tun.Handle.DangerousAddRef(ref tunRef);
                t._socket.DangerousAddRef(ref sockRef);
                int sock = t._socket.Fd;
                fixed (byte* bufferBase = buffers)
                {
                    for (int i = 0; i < batch; i++)
                    {
                        iovs[i].Base = bufferBase + ((long)i * ReceiveBufferSize);
                        iovs[i].Length = ReceiveBufferSize;
                        messages[i].Header.Iov = &iovs[i];
                        messages[i].Header.IovLength = 1;
                        messages[i].Header.Name = &names[i];
                        messages[i].Header.Control = controls + (i * ControlSize);
                    }

                    BindSystemCalls();
                    long iterations = 0;
                    long allocatedBefore = 0;
                    while (!t._stopping)
                    {
                        if (++iterations == WarmUpIterations)
                        {
                            allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                        }

                        for (int i = 0; i < batch; i++)
                        {
                            messages[i].Header.NameLength = (uint)sizeof(Libc.SockAddrIn);
                            messages[i].Header.ControlLength = ControlSize;
                            messages[i].Header.Flags = 0;
                        }

                        int n = Libc.RecvMMsg(sock, messages, (uint)batch, Libc.MSG_DONTWAIT, null);
                        if (n < 0)
                        {
                            int errno = Marshal.GetLastPInvokeError();
                            if (errno == Libc.EAGAIN)
                            {
                                t.WaitReady(sock, Libc.POLLIN);
                                continue;
                            }

                            if (errno == Libc.EINTR)
                            {
                                continue;
                            }

                            throw EncapException.FromErrno("recvmmsg", errno);
                        }

                        _counters.Add(ReceiveCalls, 1);
                        for (int i = 0; i < n; i++)
                        {
                            HandleMessage(ref messages[i], (byte*)iovs[i].Base, names[i]);
                        }

                        Flush();
                    }

                    Volatile.Write(ref _counters.LoopAllocatedBytes, iterations > WarmUpIterations ? GC.GetAllocatedBytesForCurrentThread() - allocatedBefore : -2);
                }
            }
            finally
            {
                if (tunRef)
                {
                    _tun.Handle.DangerousRelease();
                }

                if (sockRef)
                {
                    t._socket.DangerousRelease();
                }

                NativeMemory.Free(messages);
                NativeMemory.Free(iovs);
                NativeMemory.Free(names);
                NativeMemory.Free(controls);
            }
        }

        private void HandleMessage(ref Libc.MMsgHdr message, byte* data, in Libc.SockAddrIn name)
        {
            int length = (int)message.Length;
            if ((message.Header.Flags & Libc.MSG_TRUNC) != 0)
            {
                _counters.Drop((int)UdpTunnelDropReason.Oversize);
                return;
            }

            int segment = length;
            byte* control = (byte*)message.Header.Control;
            nuint controlLength = message.Header.ControlLength;
            nuint offset = 0;
            while (offset + (nuint)sizeof(Libc.CMsgHdr) <= controlLength)
            {
                var cmsg = (Libc.CMsgHdr*)(control + offset);
                if (cmsg->Length < (nuint)sizeof(Libc.CMsgHdr))
                {
                    break;
                }

                if (cmsg->Level == Libc.SOL_UDP && cmsg->Type == Libc.UDP_GRO)
                {
                    segment = *(int*)(cmsg + 1);
                }

                offset += (cmsg->Length + 7) & ~(nuint)7;
            }

            if (segment <= 0)
            {
                segment = length;
            }

            uint sender = BinaryPrimitives.ReverseEndianness(name.Address);
            for (int start = 0; start < length; start += segment)
            {
                Deliver(new Span<byte>(data + start, Math.Min(segment, length - start)), sender);
            }
        }

        private void Deliver(Span<byte> datagram, uint sender)
        {
            int decision = _tunnel._forwarder.DecideIngress(datagram, sender);
            if (decision >= 0)
            {
                _counters.Drop(decision);
                return;
            }

            _counters.Add(IngressPackets, 1);
            _counters.Add(IngressBytes, datagram.Length);
            if (_coalescer is { } coalescer)
            {
                CoalesceResult result = coalescer.TryAdd(datagram);
                if (result == CoalesceResult.Added)
                {
                    return;
                }

                Flush();
                if (result == CoalesceResult.Mismatch && coalescer.TryAdd(datagram) == CoalesceResult.Added)
                {
                    return;
                }
            }

            Write(datagram, raw: false);
        }

        private void Flush()
        {
            if (_coalescer is { IsEmpty: false } coalescer)
            {
                int segments = coalescer.SegmentCount;
                if (!Write(coalescer.Flush(), raw: true))
                {
                    _counters.Drop((int)UdpTunnelDropReason.TunWriteFailed, segments - 1);
                }
            }
        }

        private bool Write(ReadOnlySpan<byte> bytes, bool raw)
        {
            try
            {
                bool written = raw ? _tun.TryWriteRaw(bytes) : _tun.TryWrite(bytes);
                _counters.Add(TunWrites, 1);
                if (written)
                {
                    return true;
                }
            }
            catch (EncapException)
            {
            }

            _counters.Drop((int)UdpTunnelDropReason.TunWriteFailed);
            return false;
        }
    }
}
