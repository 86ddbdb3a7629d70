using Overlay.Subnets;

namespace Overlay.Backends;

/// <summary>
/// A backend type (flannel's <c>Backend</c>): registers the node's network — devices, lease,
/// post-lease configuration — and returns the network that programs peers. One instance per type;
/// thread-safe.
/// </summary>
public interface IOverlayBackend
{
    /// <summary>The configuration <c>Type</c> this backend answers to (<c>vxlan</c>, <c>host-gw</c>, …),
    /// matched case-insensitively.</summary>
    string Type { get; }

    /// <summary>
    /// Does everything flannel's <c>RegisterNetwork</c> does: validates the backend configuration,
    /// prepares devices, acquires the lease and finishes the device configuration. The caller owns
    /// the returned network and disposes it.
    /// </summary>
    /// <exception cref="BackendConfigException">The <c>Backend</c> configuration is invalid.</exception>
    /// <exception cref="SubnetRegistryException">No lease could be acquired.</exception>
    ValueTask<IOverlayNetwork> RegisterNetworkAsync(NetworkRegistration registration, CancellationToken cancellationToken = default);
}

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

    /// <summary>The state of every known peer.</summary>
    IReadOnlyList<PeerStatus> Peers { get; }

    /// <summary>Raised when a peer's status changes (mode, reason, error).</summary>
    event EventHandler<PeerStatusChangedEventArgs>? PeerStatusChanged;

    /// <summary>Programs peers until cancelled; ends by throwing <see cref="OperationCanceledException"/>.</summary>
    Task RunAsync(CancellationToken cancellationToken);
}
