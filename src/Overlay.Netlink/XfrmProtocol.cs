namespace Overlay.Netlink;

/// <summary>IPsec protocol numbers.</summary>
public static class XfrmProtocol
{
    /// <summary>ESP (50).</summary>
    public const byte Esp = 50;

    /// <summary>AH (51).</summary>
    public const byte Ah = 51;

    /// <summary>IPComp (108).</summary>
    public const byte Comp = 108;
}
