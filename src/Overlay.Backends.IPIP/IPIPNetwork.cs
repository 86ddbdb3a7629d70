using System.Collections.Frozen;
using System.Net;
using Microsoft.Extensions.Logging;
using Overlay.Backends.IPIP.Internal;
using Overlay.Backends.Reconcile;
using Overlay.Encap;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Backends.IPIP;

/// <summary>What <see cref="IPIPBackend"/> decided from the configuration, the interface and the lease.</summary>
internal sealed record IPIPNetworkSettings(IPNetwork Subnet, int Mtu, IPAddress Local, bool DirectRouting, bool CheckSenderAddress, bool UserSpace);

/// <summary>
/// The ipip network: per peer a route (and, in user space, an entry of the engine's peer table) through the shared
/// reconcile loop; the device is repaired from link and address notifications (kernel mode: re-created with
/// flannel's attributes; user space: the TUN and the engine re-created), after which every peer is programmed again.
/// </summary>
internal sealed class IPIPNetwork : ReconcilingNetwork
{
    private readonly IPIPNetworkSettings _settings;
    private readonly IIPIPKernel _kernel;
    private readonly IPIPDevice _device;
    private readonly IPIPBackendOptions _options;
    private readonly RouteObjectKind _routes;
    private readonly IPIPPeerObjectKind? _peers;
    private readonly IPIPPlanner _planner;
    private readonly byte _protocol;
    private readonly IndexHolder _index;
    private UserSpaceDataPath? _userSpace;
    private int _stopped;

    public IPIPNetwork(NetworkRegistration registration, Lease lease, NetlinkClient netlink, IIPIPKernel kernel, IPIPNetworkSettings settings,
        IPIPDevice device, UserSpaceDataPath? userSpace, IPIPBackendOptions options, ILogger logger)
        : this(registration, lease, netlink, kernel, settings, device, userSpace, options, logger, new IndexHolder { Value = userSpace?.Index ?? device.Index })
    {
    }

    private IPIPNetwork(NetworkRegistration registration, Lease lease, NetlinkClient netlink, IIPIPKernel kernel, IPIPNetworkSettings settings,
        IPIPDevice device, UserSpaceDataPath? userSpace, IPIPBackendOptions options, ILogger logger, IndexHolder index)
        : this(registration, lease, netlink, kernel, settings, device, userSpace, options, logger, index, Kinds(registration, netlink, index, userSpace is not null))
    {
    }

    private IPIPNetwork(NetworkRegistration registration, Lease lease, NetlinkClient netlink, IIPIPKernel kernel, IPIPNetworkSettings settings,
        IPIPDevice device, UserSpaceDataPath? userSpace, IPIPBackendOptions options, ILogger logger, IndexHolder index, (RouteObjectKind Routes, IPIPPeerObjectKind? Peers) kinds)
        : base(IPIPBackendConfig.TypeName, registration, lease, settings.Mtu, netlink,
            kinds.Peers is null ? [kinds.Routes] : [kinds.Peers, kinds.Routes], NetlinkGroups.All, logger)
    {
        _settings = settings;
        _kernel = kernel;
        _device = device;
        _options = options;
        _userSpace = userSpace;
        _index = index;
        _routes = kinds.Routes;
        _peers = kinds.Peers;
        _protocol = registration.Reconcile.RouteProtocol;
        ExternalInterface external = registration.ExternalInterface;
        if (_peers is not null && userSpace is not null)
        {
            _peers.Attach(userSpace.Tunnel.Peers);
            _peers.Changed += (entry, set) => IPIPLog.PeerTableChanged(logger, entry.Subnet, entry.Address, set ? "set" : "removed");
        }

        _planner = new IPIPPlanner(settings.DirectRouting, settings.UserSpace, _protocol, _routes, _peers, () => DeviceIndex,
            (address, ct) => Netlink.RouteGetAsync(address, ct),
            index => index == external.Index ? external.Name : index == DeviceIndex ? device.Name : null);
    }

    /// <summary>Whether the user-space data path carries the traffic (else the kernel's ipip device).</summary>
    public bool UserSpace => _settings.UserSpace;

    /// <summary>The device's name (<c>flannel.ipip</c>).</summary>
    public string DeviceName => _device.Name;

    /// <summary>The device's current interface index.</summary>
    public int DeviceIndex => _index.Value;

    /// <summary>The user-space engine (null in kernel mode).</summary>
    public IPIPTunnel? Tunnel => _userSpace?.Tunnel;

    /// <summary>In user space, each peer's status carries the peer's and the node's tunnel counters (as the udp backend's).</summary>
    public override IReadOnlyList<PeerStatus> Peers
    {
        get
        {
            IReadOnlyList<PeerStatus> peers = base.Peers;
            if (peers.Count == 0 || _userSpace?.Tunnel is not { } tunnel)
            {
                return peers;
            }

            TunnelStatistics totals = tunnel.GetStatistics();
            return [.. peers.Select(p => p with { Counters = totals.ToCounters(p.Subnet is { } subnet ? tunnel.Peers.GetStatistics(subnet) : null) })];
        }
    }

    private static (RouteObjectKind, IPIPPeerObjectKind?) Kinds(NetworkRegistration registration, NetlinkClient netlink, IndexHolder index, bool userSpace)
    {
        // Ours carry our protocol (onlink routes through the device, direct routes through the external interface);
        // a predecessor's (flanneld's) routes into the overlay go through flannel.ipip.
        var routes = new RouteObjectKind(netlink, UnderlayRoutes.OwnedRoutes(registration.Config, registration.Reconcile.RouteProtocol, () => index.Value > 0 ? [index.Value] : []));
        return (routes, userSpace ? new IPIPPeerObjectKind() : null);
    }

    /// <summary>The device's current index, shared with the route kind's owner predicate (it changes when the device is re-created).</summary>
    private sealed class IndexHolder
    {
        public int Value;
    }

    protected override ValueTask<PeerPlan> PlanAsync(Lease peer, CancellationToken cancellationToken) => _planner.PlanAsync(peer, cancellationToken);

    protected override (IKernelObjectKind Kind, object Item)? RepairTarget(NetlinkNotification notification) =>
        notification is RouteNotification { Route: { } route } && route.Protocol == _protocol ? (_routes, route) : null;

    /// <summary>With DirectRouting, a change of another route (not ours) may change which peers are on-link.</summary>
    protected override bool ReplansOnUnderlayRouteChange => _settings.DirectRouting;

    protected override async ValueTask OnNotificationsAsync(IReadOnlyList<NetlinkNotification> notifications, CancellationToken cancellationToken)
    {
        bool recreated = false;
        if (notifications.Any(n => n is LinkNotification or AddressNotification))
        {
            try
            {
                recreated = _settings.UserSpace
                    ? await EnsureUserSpaceAsync(cancellationToken).ConfigureAwait(false)
                    : await _device.EnsureAsync(cancellationToken).ConfigureAwait(false);
                _index.Value = _userSpace?.Index ?? _device.Index;
            }
            catch (Exception ex) when (ex is NetlinkException or NetworkRegistrationException or EncapException or InvalidOperationException or IOException)
            {
                IPIPLog.DeviceRepairFailed(Logger, ex);
            }
        }

        if (recreated)
        {
            // The kernel took every route with the old device: plan every peer for the new index and program them all.
            await ReplanAllAsync(cancellationToken).ConfigureAwait(false);
            await Reconciler.ReconcileAllAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        await base.OnNotificationsAsync(notifications, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Keeps the TUN and the engine alive; re-creates both when the TUN was deleted or the engine failed. True when re-created.</summary>
    private async ValueTask<bool> EnsureUserSpaceAsync(CancellationToken cancellationToken)
    {
        UserSpaceDataPath? current = _userSpace;
        Link? link = await _kernel.TryGetLinkAsync(_device.Name, cancellationToken).ConfigureAwait(false);
        if (current is not null && link is not null && link.Index == current.Index && !current.Failed)
        {
            if (link.Mtu != _settings.Mtu)
            {
                IPIPLog.MtuCorrected(Logger, _device.Name, link.Mtu, _settings.Mtu);
                await _kernel.LinkSetMtuAsync(link.Index, _settings.Mtu, cancellationToken).ConfigureAwait(false);
            }

            await _device.EnsureAddressAndUpAsync(link.Index, !link.IsUp, cancellationToken).ConfigureAwait(false);
            return false;
        }

        if (link is not null && link.Index != current?.Index)
        {
            throw IPIPDevice.ForeignDevice(_device.Name, link, "the TUN device of this node's user-space data path");
        }

        // Our TUN is gone (or its engine failed): a previous attempt may have left nothing to dispose.
        if (current is not null)
        {
            await current.DisposeAsync().ConfigureAwait(false);
            _userSpace = null;
        }

        UserSpaceDataPath replacement = await UserSpaceDataPath.CreateAsync(Registration.NetlinkOptions.NetworkNamespace, _device.Name, _settings.Local,
            _settings.Subnet.BaseAddress, _settings.Mtu, _settings.CheckSenderAddress, _options, Registration.LoggerFactory, Logger).ConfigureAwait(false);
        _userSpace = replacement;
        _peers!.Attach(replacement.Tunnel.Peers);
        await ConfigureTunAsync(_kernel, _device, replacement.Index, _settings.Mtu, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>MTU, the /32 and up on a (new) TUN device, in flannel's order.</summary>
    internal static async ValueTask ConfigureTunAsync(IIPIPKernel kernel, IPIPDevice device, int index, int mtu, CancellationToken cancellationToken)
    {
        await kernel.LinkSetMtuAsync(index, mtu, cancellationToken).ConfigureAwait(false);
        await device.EnsureAddressAndUpAsync(index, setUp: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>User space: stops the engine and closes the TUN (its address and routes go with it). Kernel mode: the
    /// device and routes stay, as flanneld leaves them. Idempotent.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0 && _userSpace is { } userSpace)
        {
            await userSpace.DisposeAsync().ConfigureAwait(false);
            IPIPLog.NetworkStopped(Logger, _device.Name);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }
}
