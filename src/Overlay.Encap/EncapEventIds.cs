namespace Overlay.Encap;

/// <summary>Event ids of Overlay.Encap log messages (range 3000–3999; never reused).</summary>
public static class EncapEventIds
{
    /// <summary>A UDP tunnel started (Information): device, endpoint, offloads in use.</summary>
    public const int TunnelStarted = 3000;

    /// <summary>A UDP tunnel stopped (Information).</summary>
    public const int TunnelStopped = 3001;

    /// <summary>An offload is unavailable and the tunnel falls back (Warning, logged once per tunnel and offload).</summary>
    public const int OffloadUnavailable = 3002;

    /// <summary>UDP GSO sends failed with EIO (the egress device cannot checksum); GSO disabled for the socket (Warning).</summary>
    public const int SegmentationOffloadDisabled = 3003;

    /// <summary>A tunnel worker failed and the tunnel stops (Error).</summary>
    public const int WorkerFailed = 3004;

    /// <summary>A peer was added or changed (Debug).</summary>
    public const int PeerSet = 3005;

    /// <summary>A peer was removed (Debug).</summary>
    public const int PeerRemoved = 3006;
}
