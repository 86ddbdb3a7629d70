using Overlay.Subnets;

namespace Overlay.Backends;

/// <summary>
/// A registered network: it holds the node's lease and, while <see cref="RunAsync"/> runs, keeps
/// every peer programmed. Disposing it undoes what the backend is specified to undo (most leave
/// devices and routes in place so that a restart does not disturb traffic); disposal is idempotent.
/// </summary>
public interface IOverlayNetwork : IAsyncDisposable
{
    /// <summary>The node's lease.</summary>
    Lease Lease { get; }

    /// <summary>The MTU that pods should use (subnet.env's <c>FLANNEL_MTU</c>).</summary>
    int Mtu { get; }

    /// <summary>
    /// Completes once <see cref="RunAsync"/> has programmed the first snapshot of the peers' leases —
    /// the network is ready and the node can be reported ready. A network with nothing to program
    /// completes it as soon as it has read that snapshot (or at once). Faults (or is cancelled) when
    /// <see cref="RunAsync"/> ends before that.
    /// </summary>
    Task Ready { get; }

    /// <summary>The state of every known peer.</summary>
    IReadOnlyList<PeerStatus> Peers { get; }

    /// <summary>Raised when a peer's status changes (mode, reason, error). Subscribers that throw are
    /// logged and ignored (<see cref="OverlayEvents"/>).</summary>
    event EventHandler<PeerStatusChangedEventArgs>? PeerStatusChanged;

    /// <summary>Problems of the node as a whole (a full route table, rejected credentials, a dead
    /// daemon); <see cref="NodeStatus.Healthy"/> when there are none. <see cref="NodeStatusTracker"/>
    /// implements it.</summary>
    NodeStatus Status { get; }

    /// <summary>Raised when <see cref="Status"/> changes.</summary>
    event EventHandler<NodeStatusChangedEventArgs>? StatusChanged;

    /// <summary>Programs peers until cancelled; ends by throwing <see cref="OperationCanceledException"/>.</summary>
    Task RunAsync(CancellationToken cancellationToken);
}
