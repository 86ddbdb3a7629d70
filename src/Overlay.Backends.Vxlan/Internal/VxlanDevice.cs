using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Backends.Vxlan.Internal;

/// <summary>
/// One vxlan device (<c>flannel.&lt;VNI&gt;</c> or <c>flannel-v6.&lt;VNI&gt;</c>) and what it must look
/// like. <see cref="EnsureAsync"/> is idempotent: it creates the device when missing, corrects what
/// the kernel lets us change in place (MTU, MAC), recreates it when an attribute differs that we
/// cannot change (kind, VNI, port, GBP, underlay device, local address, learning), turns accept_ra
/// off, keeps exactly the node's address on it and sets it up. The MAC is fixed once chosen, so a
/// re-created device has the MAC the lease publishes.
/// </summary>
internal sealed class VxlanDevice
{
    private readonly NetlinkClient _netlink;
    private readonly VxlanSettings _settings;
    private readonly ExternalInterface _external;
    private readonly NetworkConfig _config;
    private readonly ILogger _logger;

    public VxlanDevice(AddressFamily family, NetlinkClient netlink, VxlanSettings settings, ExternalInterface external, NetworkConfig config, ILogger logger)
    {
        Family = family;
        _netlink = netlink;
        _settings = settings;
        _external = external;
        _config = config;
        _logger = logger;
        Name = family == AddressFamily.InterNetwork ? settings.IPv4DeviceName : settings.IPv6DeviceName;
        Mtu = family == AddressFamily.InterNetwork ? settings.IPv4DeviceMtu : settings.IPv6DeviceMtu;
        Local = (family == AddressFamily.InterNetwork ? external.Address : external.IPv6Address)
            ?? throw NetworkRegistrationException.Permanent(VxlanBackendConfig.TypeName, $"vxlan needs an {FamilyName} address on the external interface {external.Name} as the local VTEP address of {Name}.");
    }

    public AddressFamily Family { get; }

    public string FamilyName => Family == AddressFamily.InterNetwork ? "IPv4" : "IPv6";

    public string Name { get; }

    public int Mtu { get; }

    /// <summary>The local VTEP address: the external interface's own address (flannel quirk 2 decided).</summary>
    public IPAddress Local { get; }

    /// <summary>The VTEP MAC (fixed after <see cref="ChooseMacAsync"/>).</summary>
    public MacAddress Mac { get; private set; }

    /// <summary>The current interface index (0 before the device exists).</summary>
    public int Index { get; private set; }

    /// <summary>The node's overlay subnet of this family (after the lease).</summary>
    public IPNetwork? Subnet { get; set; }

    /// <summary>Chooses the MAC: the existing device's, else the one our own lease published, else
    /// one derived from the node's identity. Returns where it came from.</summary>
    public async ValueTask<string> ChooseMacAsync(MacAddress? fromOwnLease, CancellationToken cancellationToken)
    {
        Link? existing = await _netlink.TryGetLinkAsync(Name, cancellationToken).ConfigureAwait(false);
        if (existing is { Kind: VxlanLinkSpec.KindName, MacAddress: { } current })
        {
            Mac = current;
            return "the existing device";
        }

        if (fromOwnLease is { } leased)
        {
            Mac = leased;
            return "this node's lease";
        }

        Mac = VxlanLeaseData.StableMac(_settings.Vni, FamilyName, Local.ToString());
        return "the node identity (VNI, family, local address)";
    }

    public VxlanLinkSpec DesiredSpec() => new()
    {
        Name = Name,
        Mtu = Mtu,
        MacAddress = Mac,
        Vni = (uint)_settings.Vni,
        UnderlayIndex = _external.Index,
        Local = Local,
        Port = _settings.Port,
        Ttl = 0,
        Tos = 0,
        Learning = _settings.Learning,
        Proxy = false,
        Rsc = false,
        L2Miss = false,
        L3Miss = false,
        UdpZeroChecksum6Tx = false,
        UdpZeroChecksum6Rx = false,
        Gbp = _settings.Gbp,
    };

    /// <summary>Why <paramref name="actual"/> cannot be corrected in place, or null when it can.</summary>
    internal static string? Incompatibility(VxlanLinkSpec desired, Link actual)
    {
        if (actual.Spec is not VxlanLinkSpec spec)
        {
            return $"it is a '{actual.Kind ?? "plain"}' device, not vxlan";
        }

        if (spec.Vni != desired.Vni)
        {
            return $"VNI {spec.Vni} instead of {desired.Vni}";
        }

        if (desired.Port is { } port && spec.Port is { } actualPort && actualPort != port)
        {
            return $"port {actualPort} instead of {port}";
        }

        if (spec.Gbp != desired.Gbp)
        {
            return desired.Gbp ? "GBP is off" : "GBP is on";
        }

        if (spec.UnderlayIndex is { } u && u > 0 && desired.UnderlayIndex is { } du && u != du)
        {
            return $"underlay device index {u} instead of {du}";
        }

        if (!Equals(spec.Local, desired.Local))
        {
            return $"local address {spec.Local?.ToString() ?? "none"} instead of {desired.Local}";
        }

        if ((spec.Learning ?? false) != (desired.Learning ?? false))
        {
            return desired.Learning == true ? "learning is off" : "learning is on";
        }

        if (spec.Group is not null)
        {
            return $"a group/remote {spec.Group} is set";
        }

        if (spec.L2Miss == true || spec.L3Miss == true)
        {
            return "L2MISS/L3MISS is on";
        }

        return null;
    }

    /// <summary>Makes the device what it should be; returns true when the interface index changed
    /// (created or re-created: every peer's entries must be programmed again).</summary>
    public async ValueTask<bool> EnsureAsync(CancellationToken cancellationToken)
    {
        VxlanLinkSpec desired = DesiredSpec();
        Link? link = await _netlink.TryGetLinkAsync(Name, cancellationToken).ConfigureAwait(false);
        if (link is not null && Incompatibility(desired, link) is { } why)
        {
            VxlanLog.DeviceRecreated(_logger, Name, why);
            await _netlink.LinkDeleteAsync(link.Index, cancellationToken).ConfigureAwait(false);
            link = null;
        }

        if (link is null)
        {
            try
            {
                link = await _netlink.LinkAddAsync(desired, cancellationToken).ConfigureAwait(false);
            }
            catch (NetlinkException ex) when (ex.IsAlreadyExists)
            {
                // Another VXLAN device already uses this VNI/port/local combination (flannel user complaint: say which).
                throw NetworkRegistrationException.Permanent(VxlanBackendConfig.TypeName,
                    $"Creating {Name} failed: {ex.Message}. Another vxlan device probably uses VNI {_settings.Vni} on UDP port {_settings.EffectivePort} already.", ex);
            }

            VxlanLog.DeviceCreated(_logger, Name, _settings.Vni, Local, Mac, Mtu);
        }
        else
        {
            var change = new LinkModification
            {
                Mtu = link.Mtu != Mtu ? Mtu : null,
                MacAddress = link.MacAddress != Mac ? Mac : null,
            };
            if (change.Mtu is not null || change.MacAddress is not null)
            {
                VxlanLog.DeviceCorrected(_logger, Name, link.Mtu, Mtu, link.MacAddress, Mac);
                await _netlink.LinkModifyAsync(link.Index, change, cancellationToken).ConfigureAwait(false);
            }
        }

        bool indexChanged = link.Index != Index;
        Index = link.Index;
        try
        {
            Sysctl.Write($"net/ipv6/conf/{Name}/accept_ra", 0, _netlink.NetworkNamespace);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            VxlanLog.AcceptRaNotSet(_logger, Name, ex);
        }

        if (Subnet is { } subnet)
        {
            await EnsureAddressAsync(subnet, cancellationToken).ConfigureAwait(false);
        }

        if (!link.IsUp || indexChanged)
        {
            await _netlink.LinkSetUpAsync(Index, cancellationToken).ConfigureAwait(false);
        }

        Link current = await _netlink.GetLinkAsync(Index, cancellationToken).ConfigureAwait(false);
        if (current.MacAddress != Mac)
        {
            throw NetworkRegistrationException.Transient(VxlanBackendConfig.TypeName, $"{Name} has MAC {current.MacAddress?.ToString() ?? "none"} after configuration, expected {Mac} (the MAC the lease publishes).");
        }

        return indexChanged;
    }

    /// <summary>Keeps exactly <c>subnet IP/32</c> (<c>/128</c>) of the node's subnet on the device:
    /// other IPv4 addresses inside the flannel network and other non-link-local IPv6 addresses go.</summary>
    private async ValueTask EnsureAddressAsync(IPNetwork subnet, CancellationToken cancellationToken)
    {
        IPAddress own = subnet.BaseAddress;
        byte prefix = (byte)(Family == AddressFamily.InterNetwork ? 32 : 128);
        bool present = false;
        var stale = new List<LinkAddress>();
        await foreach (LinkAddress a in _netlink.AddressesAsync(Family, Index, cancellationToken).ConfigureAwait(false))
        {
            if (a.InterfaceIndex != Index)
            {
                continue;
            }

            if (a.Address.Equals(own) && a.PrefixLength == prefix)
            {
                present = true;
            }
            else if (Family == AddressFamily.InterNetwork ? _config.Network?.Contains(a.Address) == true : !a.Address.IsIPv6LinkLocal)
            {
                stale.Add(a);
            }
        }

        foreach (LinkAddress a in stale)
        {
            VxlanLog.DeviceAddressChanged(_logger, Name, "removed stale", a.Address, a.PrefixLength);
            await _netlink.AddressDeleteAsync(a, cancellationToken).ConfigureAwait(false);
        }

        if (!present)
        {
            VxlanLog.DeviceAddressChanged(_logger, Name, "added", own, prefix);
            await _netlink.AddressReplaceAsync(new LinkAddress { InterfaceIndex = Index, Address = own, PrefixLength = prefix }, cancellationToken).ConfigureAwait(false);
        }
    }
}
