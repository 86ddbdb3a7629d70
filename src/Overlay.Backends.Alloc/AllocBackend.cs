using Microsoft.Extensions.DependencyInjection;
using Overlay.Subnets;

namespace Overlay.Backends.Alloc;

/// <summary>
/// flannel's alloc backend: acquires a lease with the node's public address and
/// does nothing else — no device, no route, no peer watch. For clusters where something else routes
/// pod traffic (a cloud controller manager, a router) and only subnet allocation is wanted.
/// </summary>
public sealed class AllocBackend : IOverlayBackend
{
    /// <inheritdoc />
    public string Type => AllocBackendConfig.TypeName;

    /// <inheritdoc />
    public async ValueTask<IOverlayNetwork> RegisterNetworkAsync(NetworkRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        registration.Validate();
        AllocBackendConfig.Parse(registration.Config.Backend);

        // flannel leaves BackendType empty for alloc; we do the same so mixed clusters see the same lease.
        LeaseAttributes attributes = registration.CreateLeaseAttributes(backendType: string.Empty);
        Lease lease = await registration.Registry.AcquireLeaseAsync(registration.CreateLeaseRequest(attributes), cancellationToken).ConfigureAwait(false);
        return new AllocNetwork(lease, registration.ExternalInterface.Mtu);
    }

    private sealed class AllocNetwork(Lease lease, int mtu) : IOverlayNetwork
    {
        public Lease Lease { get; } = lease;

        public int Mtu { get; } = mtu;

        public IReadOnlyList<PeerStatus> Peers => [];

        public event EventHandler<PeerStatusChangedEventArgs>? PeerStatusChanged
        {
            add { }
            remove { }
        }

        /// <summary>Nothing to program: ready at once.</summary>
        public Task Ready => Task.CompletedTask;

        public NodeStatus Status => NodeStatus.Healthy;

        public event EventHandler<NodeStatusChangedEventArgs>? StatusChanged
        {
            add { }
            remove { }
        }

        public Task RunAsync(CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
