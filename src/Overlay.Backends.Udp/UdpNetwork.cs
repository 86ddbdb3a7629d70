using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Overlay.Backends.Reconcile;
using Overlay.Backends.Udp.Internal;
using Overlay.Encap;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Backends.Udp;

/// <summary>What <see cref="UdpBackend"/> decided from the configuration, the interface and the lease.</summary>
internal sealed record UdpNetworkSettings(IPNetwork Subnet, IPNetwork Overlay, int Mtu, IPEndPoint LocalEndpoint, int Port, bool CheckSenderAddress);

/// <summary>
/// The udp network: owns the TUN queues, the engine (and its socket) and the netlink client. Peers are entries of the
/// engine's peer table, programmed through <see cref="UdpPeerObjectKind"/> by the shared reconcile loop. Disposal stops
/// the engine (its threads exit, the socket closes) and closes the TUN queues, so the device, its address and the
/// overlay route disappear (flannel: "the TUN device and its route vanish with the fd").
/// </summary>
internal sealed class UdpNetwork : ReconcilingNetwork
{
    private readonly UdpNetworkSettings _settings;
    private readonly IReadOnlyList<TunDevice> _queues;
    private readonly UdpTunnel _tunnel;
    private readonly Task _engineRun;
    private readonly Task _engine;
    private int _stopped;

    private UdpNetwork(NetworkRegistration registration, Lease lease, NetlinkClient netlink, UdpNetworkSettings settings,
        IReadOnlyList<TunDevice> queues, UdpTunnel tunnel, int deviceIndex, UdpPeerObjectKind kind, ILogger logger)
        : base(UdpBackendConfig.TypeName, registration, lease, settings.Mtu, netlink, [kind], NetlinkGroups.None, logger)
    {
        _settings = settings;
        _queues = queues;
        _tunnel = tunnel;
        DeviceIndex = deviceIndex;
        PeerKind = kind;
        kind.Changed += (entry, set) =>
        {
            if (set)
            {
                UdpLog.PeerSet(logger, entry.Subnet, entry.Endpoint);
            }
            else
            {
                UdpLog.PeerRemoved(logger, entry.Subnet, entry.Endpoint);
            }
        };
        string device = queues[0].Name;
        _engineRun = tunnel.RunAsync(CancellationToken.None);
        _engine = _engineRun.ContinueWith(
            t =>
            {
                if (t.Exception is { } ex)
                {
                    UdpLog.TunnelFailed(logger, device, ex.GetBaseException());
                }
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// Runs the peer loop; ends with an <see cref="InvalidOperationException"/> (the engine's error inside) if the data
    /// path fails while the network runs, so that a host notices a dead tunnel instead of a quietly idle one.
    /// </summary>
    /// <param name="cancellationToken">Stops the loop.</param>
    /// <returns>A task that ends when the loop is cancelled or fails.</returns>
    public override async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task run = base.RunAsync(stop.Token);
        if (await Task.WhenAny(run, _engineRun).ConfigureAwait(false) == _engineRun && _engineRun.IsFaulted)
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await run.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            Exception cause = _engineRun.Exception!.GetBaseException();
            throw new InvalidOperationException($"The udp data path of {DeviceName} failed: {cause.Message}", cause);
        }

        await run.ConfigureAwait(false);
    }

    /// <summary>The TUN device's name (the template resolved by the kernel).</summary>
    public string DeviceName => _queues[0].Name;

    /// <summary>The TUN device's interface index in the node's namespace.</summary>
    public int DeviceIndex { get; }

    /// <summary>The engine (for statistics and tests).</summary>
    public UdpTunnel Tunnel => _tunnel;

    /// <summary>Where the engine's socket is bound.</summary>
    public IPEndPoint LocalEndpoint => _tunnel.LocalEndpoint;

    /// <summary>The route installed for the whole overlay network.</summary>
    public IPNetwork OverlayRoute => _settings.Overlay;

    internal UdpPeerObjectKind PeerKind { get; }

    /// <summary>
    /// The peers' statuses, each with its own counters (<c>peer.egress_packets</c>, <c>peer.egress_bytes</c>,
    /// <c>peer.ingress_packets</c>, <c>peer.ingress_bytes</c>, <c>peer.drops</c>) and the node's tunnel totals
    /// (<c>tunnel.*</c>, with drops by reason, including those no peer can be blamed for).
    /// </summary>
    public override IReadOnlyList<PeerStatus> Peers
    {
        get
        {
            IReadOnlyList<PeerStatus> peers = base.Peers;
            if (peers.Count == 0)
            {
                return peers;
            }

            TunnelStatistics totals = _tunnel.GetStatistics();
            return [.. peers.Select(p => p with { Counters = totals.ToCounters(p.Subnet is { } subnet ? _tunnel.Peers.GetStatistics(subnet) : null) })];
        }
    }

    /// <summary>Creates the devices and the engine inside the registration's namespace and configures them.</summary>
    public static async ValueTask<UdpNetwork> CreateAsync(NetworkRegistration registration, Lease lease, UdpNetworkSettings settings,
        UdpBackendOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        NetworkNamespace? ns = registration.NetlinkOptions.NetworkNamespace;
        (List<TunDevice> Queues, UdpTunnel Tunnel, int Index) data = ns is null
            ? CreateDevices(settings, options, registration.LoggerFactory)
            : await ns.RunAsync(() => CreateDevices(settings, options, registration.LoggerFactory)).ConfigureAwait(false);
        NetlinkClient? netlink = null;
        try
        {
            netlink = registration.OpenNetlinkClient();
            int index = data.Index;
            await netlink.AddressAddAsync(new LinkAddress { InterfaceIndex = index, Address = settings.Subnet.BaseAddress, PrefixLength = 32 }, cancellationToken).ConfigureAwait(false);
            await netlink.LinkSetMtuAsync(index, settings.Mtu, cancellationToken).ConfigureAwait(false);
            await netlink.LinkSetUpAsync(index, cancellationToken).ConfigureAwait(false);
            try
            {
                await netlink.RouteAddAsync(new Route
                {
                    Destination = settings.Overlay,
                    OutputInterface = index,
                    Scope = RouteScope.Universe,
                    Protocol = registration.Reconcile.RouteProtocol,
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (NetlinkException ex) when (ex.IsAlreadyExists)
            {
                UdpLog.NetworkRouteExists(logger, settings.Overlay);
            }

            var kind = new UdpPeerObjectKind(data.Tunnel.Peers);
            var network = new UdpNetwork(registration, lease, netlink, settings, data.Queues, data.Tunnel, index, kind, logger);
            UdpLog.NetworkRegistered(logger, lease.Key, network.DeviceName, data.Queues.Count, settings.Subnet.BaseAddress, settings.Mtu, settings.Overlay,
                data.Tunnel.LocalEndpoint, settings.CheckSenderAddress);
            return network;
        }
        catch (Exception ex)
        {
            UdpLog.SetupFailed(logger, data.Queues[0].Name, ex);
            netlink?.Dispose();
            await data.Tunnel.DisposeAsync().ConfigureAwait(false);
            foreach (TunDevice queue in data.Queues)
            {
                queue.Dispose();
            }

            throw;
        }
    }

    /// <summary>Runs on a thread inside the node's namespace: the TUN queues, the engine (which binds its socket), and
    /// <c>accept_local</c> on the TUN.</summary>
    private static (List<TunDevice>, UdpTunnel, int) CreateDevices(UdpNetworkSettings settings, UdpBackendOptions options, ILoggerFactory loggerFactory)
    {
        var queues = new List<TunDevice>();
        try
        {
            queues.Add(TunDevice.Create(new TunDeviceOptions
            {
                Name = options.DeviceName,
                VirtioNetHeader = options.Offloads,
                Offloads = options.Offloads ? TunOffloads.Checksum | TunOffloads.TcpSegmentationIPv4 : TunOffloads.None,
                MultiQueue = options.Queues > 1,
            }));
            for (int i = 1; i < options.Queues; i++)
            {
                queues.Add(queues[0].AttachQueue());
            }

            int index = queues[0].GetInterfaceIndex();

            // ICMP errors about unknown destinations are written into the TUN with the TUN's own address as their
            // source (flannel's choice). The kernel drops packets arriving with a local source address as martians
            // unless accept_local is set on the receiving device, so set it on ours (and only ours).
            File.WriteAllText($"/proc/sys/net/ipv4/conf/{queues[0].Name}/accept_local", "1");

            var tunnel = new UdpTunnel(queues, new UdpTunnelOptions
            {
                LocalEndpoint = settings.LocalEndpoint,
                LocalOverlayAddress = settings.Subnet.BaseAddress,
                CheckSenderAddress = settings.CheckSenderAddress,
                MaxPacketSize = settings.Mtu,
                UdpSegmentationOffload = options.Offloads,
                UdpReceiveOffload = options.Offloads,
                CoalesceTcp = options.Offloads,
                BatchSize = options.BatchSize,
                BusyPoll = options.BusyPoll,
                MeterFactory = options.MeterFactory,
            }, loggerFactory);
            return (queues, tunnel, index);
        }
        catch
        {
            foreach (TunDevice queue in queues)
            {
                queue.Dispose();
            }

            throw;
        }
    }

    protected override ValueTask<PeerPlan> PlanAsync(Lease peer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        string? type = peer.Attributes.BackendType;
        if (!string.IsNullOrEmpty(type) && !string.Equals(type, UdpBackendConfig.TypeName, StringComparison.Ordinal))
        {
            return ValueTask.FromResult(PeerPlan.Unreachable(peer, $"the peer uses backend '{type}', not udp"));
        }

        if (peer.Subnet is not { } subnet)
        {
            return ValueTask.FromResult(PeerPlan.Unreachable(peer, "the lease has no IPv4 subnet (udp carries IPv4 only)"));
        }

        if (peer.Attributes.PublicIP is not { } publicIP)
        {
            return ValueTask.FromResult(PeerPlan.Unreachable(peer, "the peer publishes no IPv4 address"));
        }

        var endpoint = new IPEndPoint(publicIP, _settings.Port);
        string reason = string.IsNullOrEmpty(type)
            ? $"udp tunnel to {endpoint} (lease without a backend type, as flanneld's udp backend publishes it)"
            : $"udp tunnel to {endpoint}";
        return ValueTask.FromResult(new PeerPlan(peer, PeerMode.Udp, reason, [new DesiredObject(PeerKind, new UdpPeerEntry(subnet, endpoint))]));
    }

    protected override (IKernelObjectKind Kind, object Item)? RepairTarget(NetlinkNotification notification) => null;

    /// <summary>Stops the engine (threads exit, socket closed), closes the TUN queues (device, address and route go with
    /// them) and releases the netlink client. Idempotent.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            await _tunnel.DisposeAsync().ConfigureAwait(false);
            await _engine.ConfigureAwait(false);
            foreach (TunDevice queue in _queues)
            {
                queue.Dispose();
            }

            UdpLog.NetworkStopped(Logger, DeviceName);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }
}
