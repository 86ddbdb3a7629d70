using System.Net;
using System.Net.Http;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using Overlay.Backends.CloudRoutes;

namespace Overlay.Backends.AwsVpc.Internal;

/// <summary>aws-vpc's provider: EC2 DescribeInstances/DescribeRouteTables/CreateRoute/ReplaceRoute/DeleteRoute/
/// ModifyNetworkInterfaceAttribute through AWSSDK.EC2 (retries off: the engine backs off), metadata through our IMDS client.</summary>
internal sealed class Ec2RouteProvider : ICloudRouteProvider, IDisposable
{
    private readonly AwsVpcBackendOptions _options;
    private readonly IReadOnlyList<string> _configuredTables;
    private readonly ILogger _logger;
    private readonly HttpClient _metadataHttp;
    private readonly InstanceMetadataClient _metadata;
    private AmazonEC2Client? _ec2;
    private InstanceNetworkInterface? _eni;
    private string? _instanceId;

    public Ec2RouteProvider(AwsVpcBackendOptions options, IReadOnlyList<string> configuredTables, TimeProvider time, ILogger logger)
    {
        _options = options;
        _configuredTables = configuredTables;
        _logger = logger;
        _metadataHttp = new HttpClient(LabConnectGuard.CreateHandler(options.RestrictConnectionsToLab, options.RequestTimeout), disposeHandler: true) { Timeout = options.RequestTimeout };
        _metadata = new InstanceMetadataClient(_metadataHttp, options.MetadataEndpoint, options.MetadataTokenLifetime, options.AllowImdsV1, time);
    }

    public string Type => AwsVpcBackendConfig.TypeName;

    private AmazonEC2Client Ec2 => _ec2 ?? throw new InvalidOperationException("The instance is not identified yet.");

    public async ValueTask<CloudRouteIdentity> GetIdentityAsync(ExternalInterface external, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(external);
        string region = _options.Region ?? await _metadata.GetAsync("placement/region", cancellationToken).ConfigureAwait(false);
        _instanceId = _options.InstanceId ?? await _metadata.GetAsync("instance-id", cancellationToken).ConfigureAwait(false);
        _ec2 ??= CreateClient(region);

        DescribeInstancesResponse response = await Ec2.DescribeInstancesAsync(new DescribeInstancesRequest { InstanceIds = [_instanceId] }, cancellationToken).ConfigureAwait(false);
        Instance instance = response.Reservations?.FirstOrDefault()?.Instances?.FirstOrDefault()
            ?? throw new AwsVpcException(CloudRouteErrorKind.Other, $"DescribeInstances returned no instance {_instanceId}");
        IPAddress address = external.Address!;
        string text = address.ToString();
        _eni = instance.NetworkInterfaces?.FirstOrDefault(n => n.PrivateIpAddress == text || (n.PrivateIpAddresses?.Any(p => p.PrivateIpAddress == text) ?? false))
            ?? throw new AwsVpcException(CloudRouteErrorKind.Other, $"instance {_instanceId} has no network interface with the private address {text} (the external interface's address); choose the interface of the ENI that should carry pod traffic");
        return new CloudRouteIdentity(_eni.NetworkInterfaceId, $"instance {_instanceId}, {region}, subnet {_eni.SubnetId}, VPC {_eni.VpcId}");
    }

    public async ValueTask PrepareInstanceAsync(CloudRouteIdentity identity, CancellationToken cancellationToken)
    {
        if (_eni!.SourceDestCheck == false)
        {
            return;
        }

        await Ec2.ModifyNetworkInterfaceAttributeAsync(new ModifyNetworkInterfaceAttributeRequest { NetworkInterfaceId = _eni.NetworkInterfaceId, SourceDestCheck = false }, cancellationToken).ConfigureAwait(false);
        Log.SourceDestCheckDisabled(_logger, _eni.NetworkInterfaceId);
        _eni.SourceDestCheck = false;
    }

    public async ValueTask<IReadOnlyList<string>> GetRouteTablesAsync(CloudRouteIdentity identity, CancellationToken cancellationToken)
    {
        if (_configuredTables.Count > 0)
        {
            return _configuredTables;
        }

        DescribeRouteTablesResponse bySubnet = await Ec2.DescribeRouteTablesAsync(new DescribeRouteTablesRequest { Filters = [new Filter("association.subnet-id", [_eni!.SubnetId])] }, cancellationToken).ConfigureAwait(false);
        if (bySubnet.RouteTables?.FirstOrDefault() is { } associated)
        {
            return [associated.RouteTableId];
        }

        DescribeRouteTablesResponse main = await Ec2.DescribeRouteTablesAsync(new DescribeRouteTablesRequest { Filters = [new Filter("association.main", ["true"]), new Filter("vpc-id", [_eni.VpcId])] }, cancellationToken).ConfigureAwait(false);
        return main.RouteTables?.FirstOrDefault() is { } table
            ? [table.RouteTableId]
            : throw new AwsVpcException(CloudRouteErrorKind.Other, $"no route table is associated with subnet {_eni.SubnetId} and VPC {_eni.VpcId} has no main route table; set RouteTableID");
    }

    public async ValueTask<IReadOnlyList<CloudRoute>> ListRoutesAsync(string routeTable, CancellationToken cancellationToken)
    {
        DescribeRouteTablesResponse response = await Ec2.DescribeRouteTablesAsync(new DescribeRouteTablesRequest { RouteTableIds = [routeTable] }, cancellationToken).ConfigureAwait(false);
        RouteTable table = response.RouteTables?.FirstOrDefault(t => t.RouteTableId == routeTable)
            ?? throw new AwsVpcException(CloudRouteErrorKind.NotFound, $"route table {routeTable} not found");
        var routes = new List<CloudRoute>();
        foreach (Route route in table.Routes ?? [])
        {
            if (route.DestinationCidrBlock is null || !IPNetwork.TryParse(route.DestinationCidrBlock, out IPNetwork destination))
            {
                continue; // IPv6 and prefix-list routes are never ours
            }

            string? target = route.NetworkInterfaceId ?? route.InstanceId ?? route.GatewayId ?? route.NatGatewayId ?? route.TransitGatewayId
                ?? route.VpcPeeringConnectionId ?? route.LocalGatewayId ?? route.CarrierGatewayId ?? route.EgressOnlyInternetGatewayId;
            CloudRouteState state = route.State?.Value switch
            {
                "active" => CloudRouteState.Active,
                "blackhole" => CloudRouteState.Blackhole,
                _ => CloudRouteState.Other,
            };
            routes.Add(new CloudRoute(destination, target, state));
        }

        return routes;
    }

    public async ValueTask CreateRouteAsync(string routeTable, IPNetwork destination, CloudRouteIdentity target, CancellationToken cancellationToken) =>
        await Ec2.CreateRouteAsync(new CreateRouteRequest { RouteTableId = routeTable, DestinationCidrBlock = destination.ToString(), NetworkInterfaceId = target.Target }, cancellationToken).ConfigureAwait(false);

    public async ValueTask ReplaceRouteAsync(string routeTable, CloudRoute existing, CloudRouteIdentity target, CancellationToken cancellationToken) =>
        await Ec2.ReplaceRouteAsync(new ReplaceRouteRequest { RouteTableId = routeTable, DestinationCidrBlock = existing.Destination.ToString(), NetworkInterfaceId = target.Target }, cancellationToken).ConfigureAwait(false);

    public async ValueTask DeleteRouteAsync(string routeTable, CloudRoute route, CancellationToken cancellationToken) =>
        await Ec2.DeleteRouteAsync(new DeleteRouteRequest { RouteTableId = routeTable, DestinationCidrBlock = route.Destination.ToString() }, cancellationToken).ConfigureAwait(false);

    public CloudRouteError Classify(Exception exception) => Ec2Errors.Classify(exception);

    private AmazonEC2Client CreateClient(string region)
    {
        var config = new AmazonEC2Config
        {
            MaxErrorRetry = 0, // the engine's back-off is the only retry
            Timeout = _options.RequestTimeout,
            HttpClientFactory = new GuardedHttpClientFactory(_options.RestrictConnectionsToLab, _options.RequestTimeout),
            IgnoreConfiguredEndpointUrls = true,
        };
        if (_options.Ec2Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
            config.AuthenticationRegion = region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region);
        }

        if (_options.AccessKeyId is { } keyId)
        {
            AWSCredentials credentials = _options.SessionToken is { } token
                ? new SessionAWSCredentials(keyId, _options.SecretAccessKey, token)
                : new BasicAWSCredentials(keyId, _options.SecretAccessKey);
            return new AmazonEC2Client(credentials, config);
        }

        return _options.UseSdkCredentialChain
            ? new AmazonEC2Client(config) // the SDK's default credential chain
            : new AmazonEC2Client(new InstanceRoleCredentials(_metadata), config);
    }

    public void Dispose()
    {
        _ec2?.Dispose();
        _metadataHttp.Dispose();
    }
}
