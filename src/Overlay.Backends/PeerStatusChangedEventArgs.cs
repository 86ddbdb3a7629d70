namespace Overlay.Backends;

/// <summary>Data of <see cref="IOverlayNetwork.PeerStatusChanged"/>.</summary>
public sealed class PeerStatusChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public PeerStatusChangedEventArgs(PeerStatus? previous, PeerStatus? current)
    {
        Previous = previous;
        Current = current;
    }

    /// <summary>The status before the change; <see langword="null"/> for a new peer.</summary>
    public PeerStatus? Previous { get; }

    /// <summary>The status after the change; <see langword="null"/> when the peer was removed.</summary>
    public PeerStatus? Current { get; }
}
