using System.Net;
using Overlay.Backends.CloudRoutes;
using Overlay.Lab.Cloud;
using Overlay.Subnets;

namespace Overlay.Backends.AwsVpc.Tests;

/// <summary>An EC2 double with one VPC (vpc-1, 198.18.0.0/16, subnet-1), its main table rtb-main, a subnet table
/// rtb-1, and an IMDSv2-only metadata double per node; a shared in-memory registry.</summary>
internal sealed class AwsLab : IAsyncDisposable
{
    public static readonly NetworkConfig Config = NetworkConfig.Parse("""{"Network":"198.19.0.0/16","Backend":{"Type":"aws-vpc"}}""");

    private readonly List<InstanceMetadataDouble> _metadata = [];

    public AwsLab(NetworkConfig? config = null)
    {
        Registry = new InMemorySubnetRegistry(config ?? Config);
        Ec2.AddRouteTable("rtb-main", "vpc-1", main: true, vpcCidr: "198.18.0.0/16");
        Ec2.AddRouteTable("rtb-1", "vpc-1", main: false, vpcCidr: "198.18.0.0/16", "subnet-1");
    }

    public Ec2Double Ec2 { get; } = new("eu-west-1");

    public InMemorySubnetRegistry Registry { get; }

    /// <summary>Adds instance i-N with eni-N at 198.18.0.N in subnet-1 and its IMDS double (IMDSv2 required).</summary>
    public InstanceMetadataDouble AddNode(int n, bool sourceDestCheck = true)
    {
        Ec2.AddInstance(new Ec2Instance($"i-{n}", $"eni-{n}", $"198.18.0.{n}", "subnet-1", "vpc-1") { SourceDestCheck = sourceDestCheck });
        var metadata = new InstanceMetadataDouble($"i-{n}", "eu-west-1") { RequireToken = true };
        _metadata.Add(metadata);
        return metadata;
    }

    public AwsVpcBackendOptions Options(InstanceMetadataDouble metadata, Action<CloudRouteOptions>? engine = null)
    {
        var options = new AwsVpcBackendOptions
        {
            Ec2Endpoint = Ec2.Endpoint,
            MetadataEndpoint = metadata.Endpoint,
            AccessKeyId = Ec2.AccessKeyId,
            SecretAccessKey = Ec2.SecretAccessKey,
            RestrictConnectionsToLab = true,
            RequestTimeout = TimeSpan.FromSeconds(5),
            CloudRoutes = new CloudRouteOptions
            {
                ReconcileInterval = TimeSpan.FromHours(1),
                RetryInitialDelay = TimeSpan.FromMilliseconds(5),
                RetryMaxDelay = TimeSpan.FromMilliseconds(200),
                Random = new Random(42),
            },
        };
        engine?.Invoke(options.CloudRoutes);
        return options;
    }

    public NetworkRegistration Registration(int n, string? previous = null, NetworkConfig? config = null) =>
        new(config ?? Config, new ExternalInterface("eth0", 2, 9001) { Address = IPAddress.Parse($"198.18.0.{n}"), PublicIP = IPAddress.Parse($"198.18.0.{n}") }, Registry)
        {
            PreviousSubnet = previous is null ? null : IPNetwork.Parse(previous),
        };

    public async Task<CloudRouteNetwork> RegisterAsync(int n, AwsVpcBackendOptions options, string? previous = null, string? backend = null, CancellationToken cancellationToken = default)
    {
        NetworkConfig config = backend is null ? Config : NetworkConfig.Parse($$"""{"Network":"198.19.0.0/16","Backend":{{backend}}}""");
        return (CloudRouteNetwork)await new AwsVpcBackend(options).RegisterNetworkAsync(Registration(n, previous, config), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (InstanceMetadataDouble metadata in _metadata)
        {
            await metadata.DisposeAsync();
        }

        await Ec2.DisposeAsync();
        Registry.Dispose();
    }
}
