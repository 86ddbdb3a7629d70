using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Overlay.Backends.Reconcile;
using Overlay.Backends.Vxlan.Internal;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Backends.Vxlan;

/// <summary>
/// flannel's vxlan backend on the kernel's own VXLAN data path: devices
/// <c>flannel.&lt;VNI&gt;</c> / <c>flannel-v6.&lt;VNI&gt;</c> with flannel's attributes, BackendData
/// <c>{"VNI":n,"VtepMAC":"…"}</c>, and per peer a neighbour entry, an FDB entry and an onlink route
/// (or, with DirectRouting and an on-link peer, a plain route). Deviations from flanneld, all
/// deliberate (docs/vxlan.md): the local VTEP address is the interface address; an existing device is
/// corrected or re-created instead of reused as is; per-peer state is diffed, so stale FDB and
/// neighbour entries go; deleted entries and deleted or altered devices of either family are
/// repaired and every peer replayed; the DirectRouting decision and its reason are in
/// <see cref="IOverlayNetwork.Peers"/>; the IPv6 device's MTU allows for the 40-byte IPv6 header.
/// </summary>
public sealed class VxlanBackend : IOverlayBackend
{
    /// <inheritdoc />
    public string Type => VxlanBackendConfig.TypeName;

    /// <inheritdoc />
    public async ValueTask<IOverlayNetwork> RegisterNetworkAsync(NetworkRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        registration.Validate();
        ILogger logger = registration.LoggerFactory.CreateLogger<VxlanBackend>();
        NetworkConfig config = registration.Config;
        ExternalInterface external = registration.ExternalInterface;
        VxlanBackendConfig backendConfig = VxlanBackendConfig.Parse(config.Backend);
        foreach (string warning in backendConfig.GetWarnings())
        {
            VxlanLog.ConfigMemberIgnored(logger, warning);
        }

        VxlanSettings settings = backendConfig.Resolve(external.Mtu, config.EnableIPv6);
        _ = registration.CreateLeaseAttributes(Type); // fails now, before any device, when a family has no public address
        NetlinkClient netlink = registration.OpenNetlinkClient();
        try
        {
            var devices = new List<VxlanDevice>();
            if (config.EnableIPv4)
            {
                devices.Add(new VxlanDevice(AddressFamily.InterNetwork, netlink, settings, external, config, logger));
            }

            if (config.EnableIPv6)
            {
                devices.Add(new VxlanDevice(AddressFamily.InterNetworkV6, netlink, settings, external, config, logger));
            }

            Lease? own = await FindOwnLeaseAsync(registration, cancellationToken).ConfigureAwait(false);
            foreach (VxlanDevice device in devices)
            {
                MacAddress? leased = own is null ? null
                    : VxlanLeaseData.TryParse(device.Family == AddressFamily.InterNetwork ? own.Attributes.BackendData : own.Attributes.BackendV6Data, out VxlanLeaseData d, out _) ? d.VtepMac : null;
                string source = await device.ChooseMacAsync(leased, cancellationToken).ConfigureAwait(false);
                VxlanLog.VtepMacChosen(logger, device.Name, device.Mac, source);
                await device.EnsureAsync(cancellationToken).ConfigureAwait(false);
            }

            VxlanDevice? v4 = devices.FirstOrDefault(d => d.Family == AddressFamily.InterNetwork);
            VxlanDevice? v6 = devices.FirstOrDefault(d => d.Family == AddressFamily.InterNetworkV6);
            LeaseAttributes attributes = registration.CreateLeaseAttributes(Type,
                v4 is not null ? new VxlanLeaseData(settings.Vni, v4.Mac).ToJsonElement() : null,
                v6 is not null ? new VxlanLeaseData(settings.Vni, v6.Mac).ToJsonElement() : null);
            Lease lease = await registration.Registry.AcquireLeaseAsync(registration.CreateLeaseRequest(attributes), cancellationToken).ConfigureAwait(false);
            if (v4 is not null)
            {
                v4.Subnet = lease.Subnet ?? throw NetworkRegistrationException.Permanent(Type, $"IPv4 is enabled but the lease {lease.Key} has no IPv4 subnet.");
            }

            if (v6 is not null)
            {
                v6.Subnet = lease.IPv6Subnet ?? throw NetworkRegistrationException.Permanent(Type, $"IPv6 is enabled but the lease {lease.Key} has no IPv6 subnet.");
            }

            foreach (VxlanDevice device in devices)
            {
                await device.EnsureAsync(cancellationToken).ConfigureAwait(false);
            }

            int mtu = devices.Min(d => d.Mtu);
            string names = string.Join(", ", devices.Select(d => d.Name));
            VxlanLog.NetworkRegistered(logger, lease.Key, settings.Vni, settings.EffectivePort, names, mtu, settings.DirectRouting, settings.Gbp);
            return new VxlanNetwork(registration, lease, mtu, netlink, settings, devices, logger);
        }
        catch
        {
            netlink.Dispose();
            throw;
        }
    }

    /// <summary>This node's lease as the registry holds it from an earlier run (same previous subnet,
    /// or same public address and backend), read from the watch's first snapshot; null when none.</summary>
    private static async ValueTask<Lease?> FindOwnLeaseAsync(NetworkRegistration registration, CancellationToken cancellationToken)
    {
        ExternalInterface external = registration.ExternalInterface;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await foreach (LeaseEventBatch batch in registration.Registry.WatchLeasesAsync(timeout.Token).ConfigureAwait(false))
            {
                foreach (LeaseEvent e in batch.Events)
                {
                    Lease l = e.Lease;
                    if (e.Kind != LeaseEventKind.Added || !string.Equals(l.Attributes.BackendType, VxlanBackendConfig.TypeName, StringComparison.Ordinal))
                    {
                        continue;
                    }

                    bool samePrevious = (registration.PreviousSubnet is { } p && l.Subnet == p) || (registration.PreviousIPv6Subnet is { } p6 && l.IPv6Subnet == p6);
                    bool samePublic = (external.PublicIP is { } ip && ip.Equals(l.Attributes.PublicIP))
                        || (external.PublicIPv6 is { } ip6 && ip6.Equals(l.Attributes.PublicIPv6));
                    if (samePrevious || (registration.PreviousSubnet is null && registration.PreviousIPv6Subnet is null && samePublic))
                    {
                        return l;
                    }
                }

                return null; // only the snapshot matters
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        catch (SubnetRegistryException)
        {
        }

        return null;
    }
}

/// <summary>The vxlan network: devices, and per peer neighbour + FDB + onlink route (or a direct route).</summary>
internal sealed class VxlanNetwork : ReconcilingNetwork
{
    private readonly VxlanSettings _settings;
    private readonly IReadOnlyList<VxlanDevice> _devices;
    private readonly NeighborObjectKind _neighbors;
    private readonly FdbObjectKind _fdb;
    private readonly RouteObjectKind _routes;
    private readonly VxlanPlanner _planner;
    private readonly byte _protocol;
    private readonly ExternalInterface _external;

    public VxlanNetwork(NetworkRegistration registration, Lease lease, int mtu, NetlinkClient netlink, VxlanSettings settings, IReadOnlyList<VxlanDevice> devices, ILogger logger)
        : this(registration, lease, mtu, netlink, settings, devices, logger, Kinds(registration, netlink, devices))
    {
    }

    private VxlanNetwork(NetworkRegistration registration, Lease lease, int mtu, NetlinkClient netlink, VxlanSettings settings, IReadOnlyList<VxlanDevice> devices, ILogger logger,
        (NeighborObjectKind Neighbors, FdbObjectKind Fdb, RouteObjectKind Routes) kinds)
        : base(VxlanBackendConfig.TypeName, registration, lease, mtu, netlink, [kinds.Neighbors, kinds.Fdb, kinds.Routes], NetlinkGroups.All, logger)
    {
        _settings = settings;
        _devices = devices;
        _neighbors = kinds.Neighbors;
        _fdb = kinds.Fdb;
        _routes = kinds.Routes;
        _protocol = registration.Reconcile.RouteProtocol;
        _external = registration.ExternalInterface;
        _planner = new VxlanPlanner(settings, registration.Config, _protocol, _neighbors, _fdb, _routes,
            family => _devices.FirstOrDefault(d => d.Family == family) is { Index: > 0 } d ? new PlannerDevice(d.Index, d.Name) : null,
            (address, ct) => Netlink.RouteGetAsync(address, ct),
            index => index == _external.Index ? _external.Name : _devices.FirstOrDefault(d => d.Index == index)?.Name ?? $"index {index}");
    }

    /// <summary>The devices (for tests and status).</summary>
    internal IReadOnlyList<VxlanDevice> Devices => _devices;

    private static (NeighborObjectKind, FdbObjectKind, RouteObjectKind) Kinds(NetworkRegistration registration, NetlinkClient netlink, IReadOnlyList<VxlanDevice> devices)
    {
        Func<IReadOnlyCollection<int>> indexes = () => [.. devices.Where(d => d.Index > 0).Select(d => d.Index)];
        return (
            new NeighborObjectKind(netlink, indexes),
            new FdbObjectKind(netlink, indexes),
            // Ours carry our protocol (onlink routes through our devices, DirectRouting routes through the external
            // interface); a predecessor's (flanneld's) onlink routes go through our devices.
            new RouteObjectKind(netlink, UnderlayRoutes.OwnedRoutes(registration.Config, registration.Reconcile.RouteProtocol, indexes)));
    }

    protected override ValueTask<PeerPlan> PlanAsync(Lease peer, CancellationToken cancellationToken) => _planner.PlanAsync(peer, cancellationToken);

    protected override (IKernelObjectKind Kind, object Item)? RepairTarget(NetlinkNotification notification) => notification switch
    {
        RouteNotification { Route: { } r } when r.Protocol == _protocol => (_routes, r),
        NeighborNotification { Neighbor: { } n } when IsOurDevice(n.InterfaceIndex) => (_neighbors, n),
        FdbNotification { Entry: { } e } when IsOurDevice(e.InterfaceIndex) => (_fdb, e),
        _ => null,
    };

    private bool IsOurDevice(int index) => index > 0 && _devices.Any(d => d.Index == index);

    protected override async ValueTask OnNotificationsAsync(IReadOnlyList<NetlinkNotification> notifications, CancellationToken cancellationToken)
    {
        bool topology = notifications.Any(n => n is LinkNotification or AddressNotification);
        bool recreated = false;
        if (topology)
        {
            recreated = await EnsureDevicesAsync(cancellationToken).ConfigureAwait(false);
        }

        if (recreated)
        {
            // The kernel took every entry with the old device: plan every peer for the new index and
            // program them all, without waiting for lease events (flannel quirk 4 fixed).
            await ReplanAllAsync(cancellationToken).ConfigureAwait(false);
            await Reconciler.ReconcileAllAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        await base.OnNotificationsAsync(notifications, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>With DirectRouting, a change of another route (not ours) may change which peers are on-link.</summary>
    protected override bool ReplansOnUnderlayRouteChange => _settings.DirectRouting;

    /// <summary>Ensures every device; true when one was (re-)created.</summary>
    private async ValueTask<bool> EnsureDevicesAsync(CancellationToken cancellationToken)
    {
        bool changed = false;
        foreach (VxlanDevice device in _devices)
        {
            try
            {
                changed |= await device.EnsureAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NetlinkException or NetworkRegistrationException or InvalidOperationException or IOException)
            {
                VxlanLog.DeviceRepairFailed(Logger, ex);
            }
        }

        return changed;
    }
}
