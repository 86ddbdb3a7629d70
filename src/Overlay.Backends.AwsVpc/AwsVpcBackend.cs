using Microsoft.Extensions.Logging;
using Overlay.Backends.AwsVpc.Internal;
using Overlay.Backends.CloudRoutes;

namespace Overlay.Backends.AwsVpc;

/// <summary>
/// flannel's aws-vpc backend on the shared cloud-route engine
/// (<see cref="CloudRouteNetwork"/>): the node's subnet is routed to the ENI that carries the external
/// interface's address, in the configured route tables or the one of the node's subnet (else the VPC's
/// main table). Unlike flannel: credentials and instance are checked before the lease, IMDSv2, the route
/// is replaced in place (never deleted and re-created at start), the table quota is reported, and peers'
/// routes are visible in their status. <c>BackendType</c> stays empty and <c>PublicIP</c> = ExtAddr, as flannel.
/// </summary>
public sealed class AwsVpcBackend : IOverlayBackend
{
    private readonly AwsVpcBackendOptions _options;

    /// <summary>Creates the backend with default options (real endpoints, the SDK's credential chain).</summary>
    public AwsVpcBackend()
        : this(new AwsVpcBackendOptions())
    {
    }

    /// <summary>Creates the backend with <paramref name="options"/> (validated at registration).</summary>
    /// <param name="options">The node's endpoints, credentials and engine settings.</param>
    public AwsVpcBackend(AwsVpcBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <inheritdoc />
    public string Type => AwsVpcBackendConfig.TypeName;

    /// <inheritdoc />
    /// <remarks>The network is a <see cref="CloudRouteNetwork"/> (its <see cref="CloudRouteNetwork.CloudStatus"/> has the
    /// tables' count / limit, the API calls and the last reconcile).</remarks>
    public async ValueTask<IOverlayNetwork> RegisterNetworkAsync(NetworkRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        registration.Validate();
        _options.Validate();
        AwsVpcBackendConfig config = AwsVpcBackendConfig.Parse(registration.Config.Backend);
        var provider = new Ec2RouteProvider(_options, config.RouteTableIds, registration.TimeProvider, registration.LoggerFactory.CreateLogger<AwsVpcBackend>());
        return await CloudRouteNetwork.RegisterAsync(registration, provider, _options.CloudRoutes, cancellationToken).ConfigureAwait(false);
    }
}
