namespace Overlay.Netlink;

/// <summary>The mode of a TUN/TAP device.</summary>
public enum TunMode
{
    /// <summary>Layer 3 (IFF_TUN).</summary>
    Tun = 1,

    /// <summary>Layer 2 (IFF_TAP).</summary>
    Tap = 2,
}
