using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Overlay.Backends;
using Overlay.Backends.AwsVpc;
using Overlay.Backends.CloudRoutes;
using Overlay.Lab;
using Overlay.Lab.Cloud;

namespace Overlay.Agent;

/// <summary>
/// What `demo --backend aws-vpc` adds around the lab: an EC2 double (one VPC, one route table rtb-1, one
/// instance per node whose ENI has the node's underlay address), an IMDSv2-only metadata double per node,
/// a backend per node pointed at them (connect guard on), and the lab's router namespace playing the VPC
/// router by following rtb-1. The nodes sit on two segments behind that router, so pod traffic between
/// any two nodes crosses it and is forwarded only by what the nodes wrote into the table.
/// </summary>
internal sealed class AwsVpcDemo : IAsyncDisposable
{
    public const string RouteTable = "rtb-1";
    private readonly List<InstanceMetadataDouble> _metadata = [];
    private Ec2VpcRouter? _router;
    private bool _disposed;

    public Ec2Double Ec2 { get; } = new("eu-west-1");

    public static LabOptions LabOptions(int nodes, bool ipv6, bool keep) =>
        new() { Nodes = (nodes + 1) / 2, RoutedNodes = nodes / 2, IPv6 = ipv6, Keep = keep };

    public void Start(NamespaceLab lab, IPNetwork network)
    {
        Ec2.AddRouteTable(RouteTable, "vpc-1", main: true, vpcCidr: "198.18.0.0/16", "subnet-1", "subnet-2");
        foreach (LabNode node in lab.Nodes)
        {
            Ec2.AddInstance(new Ec2Instance($"i-{node.Host}", $"eni-{node.Host}", node.Underlay.ToString(), $"subnet-{node.Segment}", "vpc-1"));
            _metadata.Add(new InstanceMetadataDouble($"i-{node.Host}", Ec2.Region) { RequireToken = true });
        }

        _router = Ec2VpcRouter.Start(Ec2, RouteTable, lab.Router!, network, TimeSpan.FromMilliseconds(200));
        Console.WriteLine($"      EC2 double {Ec2.Endpoint} (route table {RouteTable}), {lab.Nodes.Count} IMDSv2 doubles; router {lab.Router} forwards by {RouteTable}");
    }

    public BackendRegistry BackendsFor(LabNode node)
    {
        InstanceMetadataDouble metadata = _metadata.Single(m => m.InstanceId == $"i-{node.Host}");
        var options = new AwsVpcBackendOptions
        {
            Ec2Endpoint = Ec2.Endpoint,
            MetadataEndpoint = metadata.Endpoint,
            AccessKeyId = Ec2.AccessKeyId,
            SecretAccessKey = Ec2.SecretAccessKey,
            RestrictConnectionsToLab = true,
            CloudRoutes = new CloudRouteOptions { ReconcileInterval = TimeSpan.FromSeconds(2) },
        };
        return new BackendRegistry().Add(new AwsVpcBackend(options));
    }

    public void PrintSummary()
    {
        IReadOnlyList<Ec2Call> calls = Ec2.Calls;
        Console.WriteLine($"      EC2 calls: {calls.Count} ({string.Join(", ", calls.GroupBy(c => c.Action).Select(g => $"{g.Key} {g.Count()}"))}); writes {calls.Count(c => c.IsWrite)}");
        Console.WriteLine($"      {RouteTable}: {string.Join(", ", Ec2.Routes(RouteTable).Select(r => $"{r.DestinationCidrBlock} -> {r.NetworkInterfaceId ?? r.GatewayId}"))}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_router is not null)
        {
            await _router.DisposeAsync();
        }

        foreach (InstanceMetadataDouble metadata in _metadata)
        {
            await metadata.DisposeAsync();
        }

        await Ec2.DisposeAsync();
    }
}
