namespace Overlay.Netlink;

/// <summary>A meta key (<c>NFT_META_*</c>); only the ones this library names, any other value may be cast.</summary>
public enum NftMetaKey
{
    /// <summary>Packet length.</summary>
    Length = 0,

    /// <summary>Ethertype protocol.</summary>
    Protocol = 1,

    /// <summary>Packet mark (<c>meta mark</c>).</summary>
    Mark = 3,

    /// <summary>Input interface index.</summary>
    InputInterface = 4,

    /// <summary>Output interface index.</summary>
    OutputInterface = 5,

    /// <summary>Netfilter protocol (<c>meta nfproto</c>).</summary>
    NfProto = 15,

    /// <summary>Layer-4 protocol (<c>meta l4proto</c>).</summary>
    L4Proto = 16,
}
