using System.Net;

namespace Overlay.Netlink;

/// <summary>A template of a policy (<c>struct xfrm_user_tmpl</c>): which SA must process the traffic.</summary>
public sealed record XfrmTemplate
{
    /// <summary>Tunnel source (outer source address).</summary>
    public IPAddress? Source { get; init; }

    /// <summary>Tunnel destination.</summary>
    public required IPAddress Destination { get; init; }

    /// <summary>Protocol (default ESP).</summary>
    public byte Protocol { get; init; } = XfrmProtocol.Esp;

    /// <summary>SPI (0: any).</summary>
    public uint Spi { get; init; }

    /// <summary>Mode (default tunnel).</summary>
    public XfrmMode Mode { get; init; } = XfrmMode.Tunnel;

    /// <summary>The request id that links the template to SAs (flannel uses 11).</summary>
    public uint RequestId { get; init; }

    /// <summary>Optional template.</summary>
    public bool Optional { get; init; }

    /// <summary>Allowed authentication algorithms (bitmask, default all).</summary>
    public uint AuthenticationAlgorithms { get; init; } = uint.MaxValue;

    /// <summary>Allowed encryption algorithms (bitmask, default all).</summary>
    public uint EncryptionAlgorithms { get; init; } = uint.MaxValue;

    /// <summary>Allowed compression algorithms (bitmask, default all).</summary>
    public uint CompressionAlgorithms { get; init; } = uint.MaxValue;
}
