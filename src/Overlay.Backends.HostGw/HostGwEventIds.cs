namespace Overlay.Backends.HostGw;

/// <summary>Event ids of the host-gw backend (4200–4299).</summary>
public static class HostGwEventIds
{
    /// <summary>The host-gw network was registered.</summary>
    public const int NetworkRegistered = 4200;
}
