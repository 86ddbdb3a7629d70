namespace Overlay.Backends.Udp;

/// <summary>Event ids of the udp backend (4300–4399). Ids are never reused.</summary>
public static class UdpEventIds
{
    /// <summary>The udp network was registered: TUN device, address, MTU, route and socket are in place.</summary>
    public const int NetworkRegistered = 4300;

    /// <summary>The route for the whole overlay network already existed (EEXIST, tolerated as flannel does).</summary>
    public const int NetworkRouteExists = 4301;

    /// <summary>A peer was added to (or updated in) the tunnel's peer table.</summary>
    public const int PeerSet = 4302;

    /// <summary>A peer was removed from the tunnel's peer table.</summary>
    public const int PeerRemoved = 4303;

    /// <summary>The tunnel engine stopped with an error; traffic no longer flows.</summary>
    public const int TunnelFailed = 4304;

    /// <summary>The network was shut down: tunnel stopped, socket closed, TUN device (and its route) gone.</summary>
    public const int NetworkStopped = 4305;

    /// <summary>Setting up the devices failed; everything created so far was removed.</summary>
    public const int SetupFailed = 4306;
}
