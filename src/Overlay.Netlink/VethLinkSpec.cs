using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

/// <summary>A veth pair (kind <c>veth</c>); the peer may be created directly in another namespace.</summary>
public sealed record VethLinkSpec : LinkSpec
{
    /// <summary>The kind name.</summary>
    public const string KindName = "veth";

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>The peer's name (empty when read back; see <see cref="Link.ParentIndex"/> for the peer's index).</summary>
    public required string PeerName { get; init; }

    /// <summary>The namespace to create the peer in (IFLA_NET_NS_FD); null = the same namespace.</summary>
    public NetworkNamespace? PeerNamespace { get; init; }

    /// <summary>The peer's MTU; null = the kernel default.</summary>
    public int? PeerMtu { get; init; }

    internal int PeerNamespaceFd { get; init; } = -1;

    internal override bool HasInfoData => PeerName.Length > 0;

    internal override void WriteInfoData(ref NetlinkMessageWriter writer)
    {
        NestedAttribute peer = writer.BeginNested(VethInfoType.Peer);
        writer.WriteZeroes(16); // struct ifinfomsg of the peer
        writer.WriteString(IflaType.IfName, PeerName);
        if (PeerMtu is int mtu)
        {
            writer.WriteUInt32(IflaType.Mtu, (uint)mtu);
        }

        if (PeerNamespaceFd >= 0)
        {
            writer.WriteUInt32(IflaType.NetNsFd, (uint)PeerNamespaceFd);
        }

        writer.EndNested(peer);
    }
}
