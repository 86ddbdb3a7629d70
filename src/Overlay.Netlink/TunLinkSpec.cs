namespace Overlay.Netlink;

/// <summary>
/// A persistent TUN/TAP device (kind <c>tun</c>). The kernel cannot create these over rtnetlink,
/// so <see cref="NetlinkClient.LinkAddAsync"/> opens <c>/dev/net/tun</c> in the client's namespace,
/// sets the device persistent and closes it; the read-back comes from IFLA_TUN_* attributes.
/// </summary>
public sealed record TunLinkSpec : LinkSpec
{
    /// <summary>The kind name.</summary>
    public const string KindName = "tun";

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>TUN or TAP.</summary>
    public TunMode Mode { get; init; } = TunMode.Tun;

    /// <summary>IFF_MULTI_QUEUE.</summary>
    public bool MultiQueue { get; init; }

    /// <summary>Packet information header (clear of IFF_NO_PI).</summary>
    public bool PacketInfo { get; init; }

    /// <summary>IFF_VNET_HDR.</summary>
    public bool VnetHeader { get; init; }

    /// <summary>The owning user id (TUNSETOWNER).</summary>
    public uint? Owner { get; init; }

    /// <summary>The owning group id (TUNSETGROUP).</summary>
    public uint? Group { get; init; }
}
