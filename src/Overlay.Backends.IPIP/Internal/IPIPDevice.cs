using System.Net;
using Microsoft.Extensions.Logging;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Backends.IPIP.Internal;

/// <summary>
/// The kernel's <c>flannel.ipip</c> device and what it must look like (spec backends §4): kind ipip, local = the
/// interface address, no remote, no underlay link, ttl 0 (inherit), tos 0, pmtudisc off; MTU = underlay − 20;
/// exactly one address of the overlay network on it, <c>&lt;subnet&gt;/32</c>; up. A device of another kind with that
/// name is an error naming it (never deleted); our ipip device with the wrong local or a remote is re-created.
/// </summary>
internal sealed class IPIPDevice(IIPIPKernel kernel, string name, IPAddress local, int mtu, NetworkConfig config, ILogger logger)
{
    public string Name => name;

    public int Mtu => mtu;

    public IPAddress Local => local;

    /// <summary>The current interface index (0 before the device exists).</summary>
    public int Index { get; private set; }

    /// <summary>The node's subnet (after the lease); its network address goes on the device as /32.</summary>
    public IPNetwork? Subnet { get; set; }

    public IPIPLinkSpec DesiredSpec() => new()
    {
        Name = name,
        Local = local,
        Ttl = 0,
        Tos = 0,
        PathMtuDiscovery = false,
    };

    /// <summary>Why an existing ipip device must be re-created, or null when it fits.</summary>
    internal static string? Incompatibility(IPIPLinkSpec desired, IPIPLinkSpec actual)
    {
        if (!Equals(actual.Local, desired.Local))
        {
            return $"local address {actual.Local?.ToString() ?? "any"} instead of {desired.Local}";
        }

        if (actual.Remote is { } remote && !remote.Equals(IPAddress.Any))
        {
            return $"remote {remote} is set (flannel's device has none)";
        }

        return null;
    }

    /// <summary>The error for a device of another kind under our name (flannel: "delete it"; never deleted here).</summary>
    internal static NetworkRegistrationException ForeignDevice(string name, Link link, string wanted) =>
        NetworkRegistrationException.Permanent(IPIPBackendConfig.TypeName,
            $"A device named {name} exists and is a '{link.Kind ?? "plain"}' device (index {link.Index}), not {wanted}; it is not ours and is never deleted: remove it (ip link delete {name}) or choose another device name.");

    /// <summary>
    /// Makes the device what it should be (creating it when missing); returns true when its index changed (created or
    /// re-created: every peer route must be programmed again).
    /// </summary>
    /// <exception cref="NetlinkException">With <see cref="NetlinkException.IsNotSupported"/>: the kernel has no ipip.</exception>
    public async ValueTask<bool> EnsureAsync(CancellationToken cancellationToken)
    {
        IPIPLinkSpec desired = DesiredSpec();
        Link? link = await kernel.TryGetLinkAsync(name, cancellationToken).ConfigureAwait(false);
        if (link is not null && link.Spec is not IPIPLinkSpec)
        {
            throw ForeignDevice(name, link, "ipip");
        }

        if (link is { Spec: IPIPLinkSpec actual } && Incompatibility(desired, actual) is { } why)
        {
            IPIPLog.DeviceRecreated(logger, name, why);
            await kernel.LinkDeleteAsync(link.Index, cancellationToken).ConfigureAwait(false);
            link = null;
        }

        if (link is null)
        {
            link = await kernel.LinkAddAsync(desired, cancellationToken).ConfigureAwait(false);
            IPIPLog.DeviceCreated(logger, name, local, mtu);
        }

        bool changed = link.Index != Index;
        Index = link.Index;

        // flannel sets the MTU at every start (its "current MTU" check reads zero); so do we, and on every repair
        // only when it differs.
        if (changed || link.Mtu != mtu)
        {
            await kernel.LinkSetMtuAsync(Index, mtu, cancellationToken).ConfigureAwait(false);
        }

        // Before the lease (the registration's probe) there is no address yet and the device stays down, as flannel
        // sets it up only after the address.
        if (Subnet is not null)
        {
            await EnsureAddressAndUpAsync(Index, !link.IsUp || changed, cancellationToken).ConfigureAwait(false);
        }

        return changed;
    }

    /// <summary>
    /// Keeps exactly one address of the overlay network on device <paramref name="index"/>, the subnet's network
    /// address as /32 (flannel's rule), and sets the device up.
    /// </summary>
    public async ValueTask EnsureAddressAndUpAsync(int index, bool setUp, CancellationToken cancellationToken)
    {
        if (Subnet is { } subnet)
        {
            bool present = false;
            foreach (LinkAddress a in await kernel.AddressesAsync(index, cancellationToken).ConfigureAwait(false))
            {
                if (a.PrefixLength == 32 && a.Address.Equals(subnet.BaseAddress))
                {
                    present = true;
                }
                else if (config.Network is { } overlay && overlay.Contains(a.Address))
                {
                    IPIPLog.AddressRemoved(logger, name, a.Address, a.PrefixLength, subnet.BaseAddress);
                    await kernel.AddressDeleteAsync(a, cancellationToken).ConfigureAwait(false);
                }
            }

            if (!present)
            {
                await kernel.AddressAddAsync(new LinkAddress { InterfaceIndex = index, Address = subnet.BaseAddress, PrefixLength = 32 }, cancellationToken).ConfigureAwait(false);
            }
        }

        if (setUp)
        {
            await kernel.LinkSetUpAsync(index, cancellationToken).ConfigureAwait(false);
        }
    }
}
