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
    /// <exception cref="NetworkRegistrationException">The node's environment does not allow the network (the
    /// exception says whether retrying may help).</exception>
    ValueTask<IOverlayNetwork> RegisterNetworkAsync(NetworkRegistration registration, CancellationToken cancellationToken = default);
}
