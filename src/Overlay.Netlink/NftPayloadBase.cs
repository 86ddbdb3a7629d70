namespace Overlay.Netlink;

/// <summary>Where a payload offset counts from (<c>NFT_PAYLOAD_*_HEADER</c>).</summary>
public enum NftPayloadBase
{
    /// <summary>The link-layer header.</summary>
    LinkLayerHeader = 0,

    /// <summary>The network header (IPv4/IPv6).</summary>
    NetworkHeader = 1,

    /// <summary>The transport header.</summary>
    TransportHeader = 2,
}
