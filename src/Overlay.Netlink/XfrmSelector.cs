using System.Net;

namespace Overlay.Netlink;

/// <summary>The traffic a policy or state applies to (<c>struct xfrm_selector</c>).</summary>
public sealed record XfrmSelector
{
    /// <summary>Source prefix.</summary>
    public required IPNetwork Source { get; init; }

    /// <summary>Destination prefix.</summary>
    public required IPNetwork Destination { get; init; }

    /// <summary>Source port (0: any).</summary>
    public ushort SourcePort { get; init; }

    /// <summary>Source port mask.</summary>
    public ushort SourcePortMask { get; init; }

    /// <summary>Destination port (0: any).</summary>
    public ushort DestinationPort { get; init; }

    /// <summary>Destination port mask.</summary>
    public ushort DestinationPortMask { get; init; }

    /// <summary>IP protocol (0: any).</summary>
    public byte Protocol { get; init; }

    /// <summary>Interface index (0: any).</summary>
    public int InterfaceIndex { get; init; }
}
