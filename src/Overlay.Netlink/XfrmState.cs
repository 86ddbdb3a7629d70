using System.Net;

namespace Overlay.Netlink;

/// <summary>An xfrm state (security association).</summary>
public sealed record XfrmState
{
    /// <summary>Outer source address.</summary>
    public required IPAddress Source { get; init; }

    /// <summary>Outer destination address.</summary>
    public required IPAddress Destination { get; init; }

    /// <summary>Protocol (default ESP).</summary>
    public byte Protocol { get; init; } = XfrmProtocol.Esp;

    /// <summary>The SPI.</summary>
    public required uint Spi { get; init; }

    /// <summary>The request id.</summary>
    public uint RequestId { get; init; }

    /// <summary>The mode (default tunnel).</summary>
    public XfrmMode Mode { get; init; } = XfrmMode.Tunnel;

    /// <summary>The replay window.</summary>
    public byte ReplayWindow { get; init; }

    /// <summary>The selector (null: any, family from the addresses).</summary>
    public XfrmSelector? Selector { get; init; }

    /// <summary>AEAD algorithm (XFRMA_ALG_AEAD).</summary>
    public XfrmAlgorithm? Aead { get; init; }

    /// <summary>Encryption algorithm (XFRMA_ALG_CRYPT).</summary>
    public XfrmAlgorithm? Encryption { get; init; }

    /// <summary>Authentication algorithm (XFRMA_ALG_AUTH_TRUNC when LengthBits &gt; 0, else XFRMA_ALG_AUTH).</summary>
    public XfrmAlgorithm? Authentication { get; init; }

    /// <summary>UDP encapsulation.</summary>
    public XfrmEncapsulation? Encapsulation { get; init; }

    /// <summary>The mark, if any.</summary>
    public XfrmMark? Mark { get; init; }
}
