using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Runtime.CompilerServices;
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
/// One dedicated thread per TUN queue reads the TUN (TUN→UDP); the first queue's thread also reads the socket
/// (UDP→TUN), so a reply the kernel produces while that thread writes a request into the TUN is sent on by the same
/// thread without another wake-up (the latency of a request/response exchange is dominated by wake-ups). With a TUN opened
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
    private readonly List<LoopAllocation> _loops = [];
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

        _running = _queues.Length;
        Log.TunnelStarted(_logger, _queues[0].Name, LocalEndpoint, _queues.Length, _queues[0].Offloads, _gso, UsesUdpReceiveOffload, CoalescesTcp, _options.BatchSize);
        for (int i = 0; i < _queues.Length; i++)
        {
            var egress = new EgressWorker(this, _queues[i], NewCounters());
            IngressWorker? ingress = i == 0 ? new IngressWorker(this, _queues[0], NewCounters()) : null;
            var loop = new LoopAllocation();
            lock (_gate)
            {
                _loops.Add(loop);
            }

            StartThread($"ovl-q{i}", () => RunQueue(egress, ingress, loop));
        }

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

    /// <summary>Per worker thread, the bytes allocated in its packet loop after warm-up (-1 while it runs, -2 if not measured); for the allocation guard in tests.</summary>
    internal long[] GetLoopAllocatedBytes()
    {
        lock (_gate)
        {
            return [.. _loops.Select(l => Volatile.Read(ref l.Bytes))];
        }
    }

    /// <summary>
    /// The packet loop of one TUN queue's thread. Queue 0's thread also serves the socket: an echo request written
    /// into the TUN makes the kernel queue its reply on the same queue at once (the TUN steers a flow's replies to the
    /// queue its packets came from), and this thread picks the reply up before it sleeps, so a request/response
    /// exchange costs one thread wake-up per node instead of two, and no thread hands packets to another.
    /// </summary>
    // The packet path (this loop and the workers' Pump/Process/HandleMessage/Deliver/SendBatch) is compiled
    // fully optimized at its first call: no tier-0 code or OSR warm-up for the first packets.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunQueue(EgressWorker egress, IngressWorker? ingress, LoopAllocation loop)
    {
        try
        {
            egress.Open();
            ingress?.Open();
            BindSystemCalls();
            int tunFd = egress.Fd;
            int sock = ingress is null ? -1 : _socket.Fd;
            long busyPoll = (long)(_options.BusyPoll.TotalSeconds * Stopwatch.Frequency);
            long lastPacket = 0;
            long iterations = 0;
            long allocatedBefore = 0;
            int ready = TunReady | SocketReady;
            while (!_stopping)
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
                    ready = PollQueue(tunFd, sock, timeout: 0);
                }
                else
                {
                    ready = PollQueue(tunFd, sock, timeout: -1);
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

    private const int TunReady = 1;
    private const int SocketReady = 2;

    /// <summary>Polls a queue thread's TUN queue and (if not -1) the socket for input, and the stop event; returns <see cref="TunReady"/> | <see cref="SocketReady"/>.</summary>
    private unsafe int PollQueue(int tunFd, int socketFd, int timeout)
    {
        Libc.PollFd* fds = stackalloc Libc.PollFd[3];
        fds[0] = new Libc.PollFd { Fd = _stop.Fd, Events = Libc.POLLIN };
        fds[1] = new Libc.PollFd { Fd = tunFd, Events = Libc.POLLIN };
        fds[2] = new Libc.PollFd { Fd = socketFd, Events = Libc.POLLIN };
        if (Libc.Poll(fds, socketFd < 0 ? 2u : 3u, timeout) <= 0)
        {
            return timeout == 0 ? 0 : TunReady | SocketReady;   // EINTR: look at both
        }

        return (fds[1].REvents != 0 ? TunReady : 0) | (socketFd >= 0 && fds[2].REvents != 0 ? SocketReady : 0);
    }

    /// <summary>Sleeps until <paramref name="fd"/> has <paramref name="events"/> or the tunnel stops.</summary>
    /// <returns><see langword="false"/> when the tunnel is stopping.</returns>
    private bool WaitReady(int fd, short events)
    {
        if (_stopping)
        {
            return false;
        }

        unsafe
        {
            Libc.PollFd* fds = stackalloc Libc.PollFd[2];
            fds[0] = new Libc.PollFd { Fd = _stop.Fd, Events = Libc.POLLIN };
            fds[1] = new Libc.PollFd { Fd = fd, Events = events };
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

    /// <summary>Bytes a worker thread allocated in its packet loop after the warm-up iterations (set when the loop ends; expected 0; -2 if the loop never got past the warm-up).</summary>
    private sealed class LoopAllocation
    {
        public long Bytes = -1;
    }

    /// <summary>Counters written by one worker thread only.</summary>
    internal sealed class WorkerCounters
    {
        public const int ValueCount = 9;
        public static readonly int DropCount = Enum.GetValues<UdpTunnelDropReason>().Length;
        public readonly long[] Values = new long[ValueCount];
        public readonly long[] Drops = new long[DropCount];

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
        private int _batch;
        private bool _vnet;
        private int _headroom;
        private byte[]? _slots;
        private byte[]? _segments;
        private byte[]? _icmp;
        private byte* _slotBase;
        private byte* _segBase;
        private Libc.MMsgHdr* _messages;
        private Libc.IoVec* _iovs;
        private Libc.SockAddrIn* _names;
        private UdpTunnelPeerTable.PeerCounters?[] _messagePeers = [];
        private byte* _control;
        private int _tunFd;
        private int _sock;
        private int _pending;
        private bool _tunRef;
        private bool _sockRef;

        public EgressWorker(UdpTunnel tunnel, TunDevice tun, WorkerCounters counters)
        {
            _tunnel = tunnel;
            _tun = tun;
            _counters = counters;
        }

        public int Fd => _tun.Fd;

        /// <summary>Allocates the worker's buffers (pinned, so their addresses hold) and references the descriptors; on the worker thread.</summary>
        public void Open()
        {
            UdpTunnel t = _tunnel;
            _batch = t._options.BatchSize;
            _vnet = _tun.HasVirtioNetHeader;
            _headroom = _vnet ? VirtioNetHeader.Length : 0;
            _slots = GC.AllocateUninitializedArray<byte>(_batch * SlotSize, pinned: true);
            _segments = GC.AllocateUninitializedArray<byte>(2 * (ushort.MaxValue + 1), pinned: true);
            _icmp = GC.AllocateUninitializedArray<byte>(IcmpDestinationUnreachable.MaximumLength, pinned: true);
            _slotBase = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_slots));
            _segBase = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_segments));
            int messageCount = Math.Max(_batch, MaxSegmentsPerSend);
            _messages = (Libc.MMsgHdr*)NativeMemory.AllocZeroed((nuint)(messageCount * sizeof(Libc.MMsgHdr)));
            _iovs = (Libc.IoVec*)NativeMemory.AllocZeroed((nuint)(messageCount * sizeof(Libc.IoVec)));
            _names = (Libc.SockAddrIn*)NativeMemory.AllocZeroed((nuint)(messageCount * sizeof(Libc.SockAddrIn)));
            _messagePeers = new UdpTunnelPeerTable.PeerCounters?[messageCount];
            _control = (byte*)NativeMemory.AllocZeroed(32);
            _tun.Handle.DangerousAddRef(ref _tunRef);
            t._socket.DangerousAddRef(ref _sockRef);
            _tunFd = _tun.Fd;
            _sock = t._socket.Fd;
        }

        /// <summary>
        /// Reads the TUN queue until it is empty or one batch was moved, sending what it read; returns the number of
        /// packets read (0: the queue was empty). Never blocks on the TUN.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public int Pump()
        {
            UdpTunnel t = _tunnel;
            int moved = 0;
            while (true)
            {
                byte* slot = _slotBase + (_pending * SlotSize);
                nint n = Libc.Read(_tunFd, slot, SlotSize);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Libc.EINTR)
                    {
                        continue;
                    }

                    if (errno != Libc.EAGAIN)
                    {
                        throw EncapException.FromErrno($"read {_tun.Name}", errno);
                    }

                    SendPending();
                    return moved;
                }

                _counters.Add(TunReads, 1);
                if (++moved >= _batch)
                {
                    // Bounded work per call, so the socket side of a shared thread is served too.
                    Process(slot, (int)n);
                    SendPending();
                    return moved;
                }

                Process(slot, (int)n);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Process(byte* slot, int n)
        {
            UdpTunnel t = _tunnel;
            if (n <= _headroom)
            {
                return;
            }

            var packet = new Span<byte>(slot + _headroom, n - _headroom);
            int decision = t._forwarder.DecideEgress(packet, out UdpTunnelPeerTable.PeerEntry peer);
            if (decision >= 0)
            {
                _counters.Drop(decision);
                if (decision == (int)UdpTunnelDropReason.NoRoute && t._icmpSource != 0)
                {
                    SendUnreachable(packet, _icmp!);
                }

                return;
            }

            if (_vnet)
            {
                VirtioNetHeader header = VirtioNetHeader.Read(new ReadOnlySpan<byte>(slot, VirtioNetHeader.Length));
                if (header.GsoType != VirtioGsoType.None)
                {
                    SendPending();
                    if (header.GsoType == VirtioGsoType.TcpV4 && header.GsoSize > 0)
                    {
                        SendSuperPacket(_sock, packet, header.GsoSize, peer, _segBase, _segments!.Length, _messages, _iovs, _names, _control);
                    }
                    else
                    {
                        _counters.Drop((int)UdpTunnelDropReason.BadOffload);
                    }

                    return;
                }

                if (header.NeedsChecksum && !VirtioNetHeader.CompleteChecksum(packet, header.ChecksumStart, header.ChecksumOffset))
                {
                    _counters.Drop((int)UdpTunnelDropReason.BadOffload);
                    return;
                }
            }

            SetMessage(_messages, _iovs, _names, _pending, slot + _headroom, packet.Length, peer);
            _messagePeers[_pending] = peer.Counters;
            _counters.Add(EgressPackets, 1);
            _counters.Add(EgressBytes, packet.Length);
            peer.Counters.AddEgress(1, packet.Length);
            if (++_pending == _batch)
            {
                SendPending();
            }
        }

        private void SendPending()
        {
            if (_pending > 0)
            {
                SendBatch(_sock, _messages, _pending);
                _pending = 0;
            }
        }

        /// <summary>Releases what <see cref="Open"/> took; on the worker thread, also after a failure.</summary>
        public void Close()
        {
            if (_tunRef)
            {
                _tun.Handle.DangerousRelease();
                _tunRef = false;
            }

            if (_sockRef)
            {
                _tunnel._socket.DangerousRelease();
                _sockRef = false;
            }

            NativeMemory.Free(_messages);
            NativeMemory.Free(_iovs);
            NativeMemory.Free(_names);
            NativeMemory.Free(_control);
            _messages = null;
            _iovs = null;
            _names = null;
            _control = null;
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

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                long length = (long)messages[sent].Header.Iov->Length;
                _counters.Drop((int)UdpTunnelDropReason.SendFailed);
                _counters.Add(EgressPackets, -1);
                _counters.Add(EgressBytes, -length);
                if (_messagePeers[sent] is { } peer)
                {
                    peer.AddEgress(-1, -length);
                    peer.AddDrops(1);
                }

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
            peer.Counters.AddEgress(count, totalBytes);
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
                        peer.Counters.AddEgress(-k, -bytes);
                        peer.Counters.AddDrops(k);
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
                    _messagePeers[j] = peer.Counters;
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
        private int _batch;
        private byte[]? _buffers;
        private Libc.MMsgHdr* _messages;
        private Libc.IoVec* _iovs;
        private Libc.SockAddrIn* _names;
        private byte* _controls;
        private int _sock;
        private bool _tunRef;
        private bool _sockRef;

        public IngressWorker(UdpTunnel tunnel, TunDevice tun, WorkerCounters counters)
        {
            _tunnel = tunnel;
            _tun = tun;
            _counters = counters;
            _coalescer = tunnel.CoalescesTcp ? new TcpCoalescer() : null;
        }

        /// <summary>Allocates the worker's buffers and references the descriptors; on the worker thread.</summary>
        public void Open()
        {
            UdpTunnel t = _tunnel;
            _batch = t._options.BatchSize;
            _buffers = GC.AllocateUninitializedArray<byte>(_batch * ReceiveBufferSize, pinned: true);
            _messages = (Libc.MMsgHdr*)NativeMemory.AllocZeroed((nuint)(_batch * sizeof(Libc.MMsgHdr)));
            _iovs = (Libc.IoVec*)NativeMemory.AllocZeroed((nuint)(_batch * sizeof(Libc.IoVec)));
            _names = (Libc.SockAddrIn*)NativeMemory.AllocZeroed((nuint)(_batch * sizeof(Libc.SockAddrIn)));
            _controls = (byte*)NativeMemory.AllocZeroed((nuint)(_batch * ControlSize));
            _tun.Handle.DangerousAddRef(ref _tunRef);
            t._socket.DangerousAddRef(ref _sockRef);
            _sock = t._socket.Fd;
            byte* bufferBase = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffers));
            for (int i = 0; i < _batch; i++)
            {
                _iovs[i].Base = bufferBase + ((long)i * ReceiveBufferSize);
                _iovs[i].Length = ReceiveBufferSize;
                _messages[i].Header.Iov = &_iovs[i];
                _messages[i].Header.IovLength = 1;
                _messages[i].Header.Name = &_names[i];
                _messages[i].Header.Control = _controls + (i * ControlSize);
            }
        }

        /// <summary>Receives one batch of datagrams and delivers them into the TUN; returns how many (0: none waiting). Never blocks.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public int Pump()
        {
            Libc.MMsgHdr* messages = _messages;
            for (int i = 0; i < _batch; i++)
            {
                messages[i].Header.NameLength = (uint)sizeof(Libc.SockAddrIn);
                messages[i].Header.ControlLength = ControlSize;
                messages[i].Header.Flags = 0;
            }

            int n;
            while ((n = Libc.RecvMMsg(_sock, messages, (uint)_batch, Libc.MSG_DONTWAIT, null)) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EAGAIN)
                {
                    return 0;
                }

                if (errno != Libc.EINTR)
                {
                    throw EncapException.FromErrno("recvmmsg", errno);
                }
            }

            _counters.Add(ReceiveCalls, 1);
            for (int i = 0; i < n; i++)
            {
                HandleMessage(ref messages[i], (byte*)_iovs[i].Base, _names[i]);
            }

            Flush();
            return n;
        }

        /// <summary>Releases what <see cref="Open"/> took; on the worker thread, also after a failure.</summary>
        public void Close()
        {
            if (_tunRef)
            {
                _tun.Handle.DangerousRelease();
                _tunRef = false;
            }

            if (_sockRef)
            {
                _tunnel._socket.DangerousRelease();
                _sockRef = false;
            }

            NativeMemory.Free(_messages);
            NativeMemory.Free(_iovs);
            NativeMemory.Free(_names);
            NativeMemory.Free(_controls);
            _messages = null;
            _iovs = null;
            _names = null;
            _controls = null;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Deliver(Span<byte> datagram, uint sender)
        {
            int decision = _tunnel._forwarder.DecideIngress(datagram, sender, out UdpTunnelPeerTable.PeerEntry owner);
            if (decision >= 0)
            {
                _counters.Drop(decision);
                if (_tunnel.Peers.TryGetEndpointCounters(sender, out UdpTunnelPeerTable.PeerCounters? from))
                {
                    from.AddDrops(1);
                }

                return;
            }

            _counters.Add(IngressPackets, 1);
            _counters.Add(IngressBytes, datagram.Length);
            owner.Counters.AddIngress(datagram.Length);
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
