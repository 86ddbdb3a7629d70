using System.Net;
using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

/// <summary>An IPv4-in-IPv4 tunnel (kind <c>ipip</c>, IFLA_IPTUN_* attributes).</summary>
public sealed record IPIPLinkSpec : LinkSpec
{
    /// <summary>The kind name.</summary>
    public const string KindName = "ipip";

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>IFLA_IPTUN_LOCAL.</summary>
    public IPAddress? Local { get; init; }

    /// <summary>IFLA_IPTUN_REMOTE (null: any, for a shared flannel-style device).</summary>
    public IPAddress? Remote { get; init; }

    /// <summary>IFLA_IPTUN_LINK.</summary>
    public int? UnderlayIndex { get; init; }

    /// <summary>IFLA_IPTUN_TTL (0 = inherit).</summary>
    public byte? Ttl { get; init; }

    /// <summary>IFLA_IPTUN_TOS.</summary>
    public byte? Tos { get; init; }

    /// <summary>IFLA_IPTUN_PMTUDISC.</summary>
    public bool? PathMtuDiscovery { get; init; }

    internal override bool HasInfoData => true;

    internal override void WriteInfoData(ref NetlinkMessageWriter writer)
    {
        if (UnderlayIndex is int link)
        {
            writer.WriteUInt32(IflaIptunType.Link, (uint)link);
        }

        if (Local is not null)
        {
            writer.WriteIPAddress(IflaIptunType.Local, Local);
        }

        if (Remote is not null)
        {
            writer.WriteIPAddress(IflaIptunType.Remote, Remote);
        }

        VxlanLinkSpec.WriteOptional(ref writer, IflaIptunType.Ttl, Ttl);
        VxlanLinkSpec.WriteOptional(ref writer, IflaIptunType.Tos, Tos);
        VxlanLinkSpec.WriteOptional(ref writer, IflaIptunType.PathMtuDiscovery, PathMtuDiscovery);
    }
}
