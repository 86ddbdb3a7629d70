using System.Net;
using System.Net.Sockets;

namespace Overlay.Netlink;

/// <summary>
/// A route: what to install (null members take iproute2's defaults) or what the kernel reported.
/// </summary>
public sealed record Route
{
    /// <summary>The destination prefix; null is the default route of <see cref="Family"/>.</summary>
    public IPNetwork? Destination { get; init; }

    /// <summary>The gateway (RTA_GATEWAY).</summary>
    public IPAddress? Gateway { get; init; }

    /// <summary>The output interface (RTA_OIF).</summary>
    public int? OutputInterface { get; init; }

    /// <summary>The table (RT_TABLE_MAIN by default; RTA_TABLE is sent for tables above 255).</summary>
    public uint Table { get; init; } = RouteTable.Main;

    /// <summary>The protocol (owner mark). Null: RTPROT_BOOT when adding, any when deleting.</summary>
    public byte? Protocol { get; init; }

    /// <summary>The scope. Null: link for a unicast route without a gateway, host for local, else universe; any when deleting.</summary>
    public RouteScope? Scope { get; init; }

    /// <summary>The type. Null: unicast when adding, any when deleting.</summary>
    public RouteType? Type { get; init; }

    /// <summary>Flags (e.g. <see cref="RouteFlags.OnLink"/>).</summary>
    public RouteFlags Flags { get; init; }

    /// <summary>The metric (RTA_PRIORITY).</summary>
    public uint? Priority { get; init; }

    /// <summary>The path MTU metric (RTAX_MTU).</summary>
    public uint? Mtu { get; init; }

    /// <summary>The preferred source address (RTA_PREFSRC).</summary>
    public IPAddress? PreferredSource { get; init; }

    /// <summary>The address family; taken from the destination, else the gateway, unless set.</summary>
    public AddressFamily Family
    {
        get => _family ?? Destination?.BaseAddress.AddressFamily ?? Gateway?.AddressFamily ?? AddressFamily.InterNetwork;
        init => _family = value;
    }

    private readonly AddressFamily? _family;

    /// <summary>Route equality as flannel's route network uses it: destination, gateway and output interface.</summary>
    /// <param name="other">The other route.</param>
    /// <returns>True when the three match.</returns>
    public bool SameDestinationGatewayAndInterface(Route other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Nullable.Equals(DestinationOrDefault, other.DestinationOrDefault)
            && Equals(Gateway, other.Gateway)
            && (OutputInterface ?? 0) == (other.OutputInterface ?? 0);
    }

    internal IPNetwork DestinationOrDefault => Destination
        ?? new IPNetwork(Family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
}
