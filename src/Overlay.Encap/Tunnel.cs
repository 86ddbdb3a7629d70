using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Encap.Internal;
using Overlay.Encap.Internal.Interop;

namespace Overlay.Encap;

/// <summary>
/// The user-space tunnel engine shared by flannel's <c>udp</c> wire format (<see cref="UdpTunnel"/>) and IP-in-IP
/// (<see cref="IPIPTunnel"/>): moves IPv4 packets between a TUN device and a socket, with a longest-prefix-match peer
/// table, ICMP network-unreachable for unknown destinations, a sender check, TCP segmentation and coalescing, batched
/// system calls, and no allocation per packet. This type is the lifecycle (workers, start, stop, statistics); the
/// transports differ only in their socket and how one inner packet becomes one message.
/// </summary>
/// <remarks>
/// <para>
/// One dedicated thread per TUN queue reads the TUN (TUN→network); the first queue's thread also reads the socket
/// (network→TUN), so a reply the kernel produces while that thread writes a request into the TUN is sent on by the same
/// thread without another wake-up. With a TUN opened with <see cref="TunDeviceOptions.VirtioNetHeader"/> and
/// <see cref="TunOffloads.TcpSegmentationIPv4"/>, TCP super-packets are segmented in user space (and sent with UDP GSO
/// where the transport has it); received TCP segments are coalesced back into super-packets. Each offload is probed
/// and falls back cleanly, logged once.
/// </para>
/// <para>
/// <b>Namespaces.</b> The socket is created by the constructor in the network namespace of the <em>calling
/// thread</em>, like the TUN device; construct both on a thread that has entered the target namespace.
/// </para>
/// <para>The TTL of inner packets is left alone: the kernels on both sides decrement it when they forward.</para>
/// </remarks>
public abstract class Tunnel : IAsyncDisposable
{
    /// <summary>The name of the meter tunnels report on.</summary>
    public const string MeterName = "Overlay.Encap";

    private readonly TunDevice[] _queues;
    private readonly SafeFileDescriptor _stop;
    private readonly TunnelCounterSet _counters = new();
    private readonly TunnelMetrics _metrics;
    private readonly List<QueueThread.LoopAllocation> _loops = [];
    private readonly Lock _gate = new();
    private TaskCompletionSource? _completion;
    private volatile bool _stopping;
    private volatile bool _gso;
    private int _gsoWarned;
    private int _running;
    private bool _disposed;
    private Exception? _failure;

    private protected Tunnel(IReadOnlyList<TunDevice> queues, TunnelOptions options, Func<TunnelTransport> createTransport, ILoggerFactory? loggerFactory, string category)
    {
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(options);
        if (queues.Count == 0)
        {
            throw new ArgumentException("At least one TUN queue is required.", nameof(queues));
        }

        options.Validate();
        _queues = [.. queues];
        Options = options;
        Logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(category);
        Peers = new TunnelPeerTable();
        Peers.Changed += OnPeerChanged;
        Forwarder = new TunnelForwarder(Peers, options.CheckSenderAddress, options.MaxPacketSize);
        IcmpSource = options.LocalOverlayAddress is null ? 0 : IPv4Header.ToUInt32(options.LocalOverlayAddress);

        Transport = createTransport();
        int stop = Libc.EventFd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        if (stop < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Transport.Dispose();
            throw EncapException.FromErrno("eventfd", errno);
        }

        _stop = new SafeFileDescriptor(stop);
        _gso = Transport.SegmentationOffload;

        TunDevice first = _queues[0];
        if (options.CoalesceTcp && first.HasVirtioNetHeader)
        {
            CoalescesTcp = true;
        }
        else if (options.CoalesceTcp)
        {
            Log.OffloadUnavailable(Logger, "TCP coalescing on TUN writes", "the TUN device has no virtio-net header", "one write per packet");
        }

        if (first.HasVirtioNetHeader && (first.Offloads & TunOffloads.TcpSegmentationIPv4) == 0 && first.Options.Offloads != TunOffloads.None)
        {
            Log.OffloadUnavailable(Logger, "TUN TSO (TUNSETOFFLOAD)", "the kernel refused the requested offloads", "one TUN read per packet");
        }

        _metrics = new TunnelMetrics(options.MeterFactory, first.Name, _counters);
    }

    /// <summary>The peer table; update it at any time, also while packets flow.</summary>
    public TunnelPeerTable Peers { get; }

    /// <summary>Whether received TCP segments are coalesced into super-packets on TUN writes.</summary>
    public bool CoalescesTcp { get; }

    internal TunnelOptions Options { get; }

    internal ILogger Logger { get; }

    internal TunnelTransport Transport { get; }

    internal TunnelForwarder Forwarder { get; }

    /// <summary>The ICMP error source (host order); 0: none are sent.</summary>
    internal uint IcmpSource { get; }

    internal bool IsStopping => _stopping;

    internal int StopFd => _stop.Fd;

    /// <summary>Whether runs of TCP segments currently go out with one segmentation-offload send (UDP GSO).</summary>
    internal bool UsesSegmentationOffload => _gso;

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
        Log.TunnelStarted(Logger, Transport.Name, _queues[0].Name, Transport.LocalDescription, _queues.Length, _queues[0].Offloads, _gso, Transport.ReceiveOffload, CoalescesTcp, Options.BatchSize);
        for (int i = 0; i < _queues.Length; i++)
        {
            var egress = new EgressWorker(this, _queues[i], _counters.NewWorker());
            IngressWorker? ingress = i == 0 ? new IngressWorker(this, _queues[0], _counters.NewWorker()) : null;
            var loop = new QueueThread.LoopAllocation();
            lock (_gate)
            {
                _loops.Add(loop);
            }

            StartThread($"ovl-q{i}", () => QueueThread.Run(this, egress, ingress, loop));
        }

        using (cancellationToken.UnsafeRegister(static s => ((Tunnel)s!).RequestStop(), this))
        {
            await completion.Task.ConfigureAwait(false);
        }
    }

    /// <summary>A snapshot of the counters.</summary>
    /// <returns>The statistics.</returns>
    public TunnelStatistics GetStatistics() => _counters.Snapshot();

    /// <summary>Per worker thread, the bytes allocated in its packet loop after warm-up (-1 while it runs, -2 if not measured); for the allocation guard in tests.</summary>
    internal long[] GetLoopAllocatedBytes()
    {
        lock (_gate)
        {
            return [.. _loops.Select(l => Volatile.Read(ref l.Bytes))];
        }
    }

    /// <summary>Stops the workers, waits for them, and closes the socket. The TUN queues stay open (the caller owns them).</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        Task? running;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
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
        Transport.Dispose();
        _stop.Dispose();
        _metrics.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Sleeps until <paramref name="fd"/> has <paramref name="events"/> or the tunnel stops.</summary>
    /// <returns><see langword="false"/> when the tunnel is stopping.</returns>
    internal bool WaitReady(int fd, short events)
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

    internal void DisableSegmentationOffload()
    {
        _gso = false;
        if (Interlocked.Exchange(ref _gsoWarned, 1) == 0)
        {
            Log.SegmentationOffloadDisabled(Logger);
        }
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
                Log.WorkerFailed(Logger, name, _queues[0].Name, ex);
                Interlocked.CompareExchange(ref _failure, ex, null);
                RequestStop();
            }
            finally
            {
                if (Interlocked.Decrement(ref _running) == 0)
                {
                    Log.TunnelStopped(Logger, Transport.Name, _queues[0].Name);
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
        if (!_stop.IsClosed)
        {
            Libc.SignalEventFd(_stop.Fd);
        }
    }

    private void OnPeerChanged(System.Net.IPNetwork subnet, System.Net.IPEndPoint? endpoint)
    {
        if (endpoint is null)
        {
            Log.PeerRemoved(Logger, Transport.Name, subnet);
        }
        else
        {
            Log.PeerSet(Logger, Transport.Name, subnet, endpoint);
        }
    }
}
