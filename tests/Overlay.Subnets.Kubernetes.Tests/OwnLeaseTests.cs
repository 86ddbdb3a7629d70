using System.Net;
using System.Text.Json.Nodes;
using Overlay.Subnets.Kubernetes.Tests.Support;

namespace Overlay.Subnets.Kubernetes.Tests;

/// <summary>The own lease: pod CIDRs, the annotations written (checked with kubectl), waiting for a
/// pod CIDR, errors.</summary>
public sealed class OwnLeaseTests : KubeTestBase
{
    private async Task<JsonObject> KubectlNodeAsync(string name) =>
        JsonNode.Parse(await Kubectl.RunAsync("get", "node", name, "-o", "json"))!.AsObject();

    private static Dictionary<string, string> AnnotationsOf(JsonObject node) =>
        node["metadata"]!["annotations"]!.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!);

    [Fact]
    public async Task IPv4LeaseIsThePodCidrAndTheAnnotationsAreFlanneldsBytes()
    {
        Server.AddNode("n1", ["10.244.1.0/24"], new Dictionary<string, string> { ["node.alpha.kubernetes.io/ttl"] = "0" });
        KubernetesSubnetRegistry registry = CreateRegistry("n1");

        Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(VxlanAttributes()), TestContext.Current.CancellationToken);

        Assert.Equal(IPNetwork.Parse("10.244.1.0/24"), lease.Subnet);
        Assert.Null(lease.IPv6Subnet);
        Assert.Null(lease.Expiration);
        Dictionary<string, string> annotations = AnnotationsOf(await KubectlNodeAsync("n1"));
        Assert.Equal(new Dictionary<string, string>
        {
            ["node.alpha.kubernetes.io/ttl"] = "0",
            [Prefix + "backend-type"] = "vxlan",
            [Prefix + "backend-data"] = """{"VNI":1,"VtepMAC":"6a:1f:0c:22:9b:10"}""",
            [Prefix + "public-ip"] = "198.18.0.1",
            [Prefix + "kube-subnet-manager"] = "true",
        }, annotations);
    }

    [Fact]
    public async Task DualStackLeaseAndAnnotationsKeepTheBackendDataMemberOrder()
    {
        Server.AddNode("n1", ["10.244.1.0/24", "2001:db8:244:1::/64"], new Dictionary<string, string>());
        KubernetesSubnetRegistry registry = CreateRegistry("n1", DualConfig);
        LeaseAttributes attributes = VxlanAttributes(publicIPv6: "2001:db8::1") with
        {
            // Member order as the backend wrote it is kept byte for byte (flanneld marshals in its struct order).
            BackendV6Data = Json($$"""{ "VNI": 1, "VtepMAC": "{{Mac6}}" }"""),
        };

        Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(attributes), TestContext.Current.CancellationToken);

        Assert.Equal(IPNetwork.Parse("10.244.1.0/24"), lease.Subnet);
        Assert.Equal(IPNetwork.Parse("2001:db8:244:1::/64"), lease.IPv6Subnet);
        Dictionary<string, string> annotations = AnnotationsOf(await KubectlNodeAsync("n1"));
        Assert.Equal("""{"VNI":1,"VtepMAC":"6a:1f:0c:22:9b:10"}""", annotations[Prefix + "backend-data"]);
        Assert.Equal("""{"VNI":1,"VtepMAC":"7e:55:91:03:aa:41"}""", annotations[Prefix + "backend-v6-data"]);
        Assert.Equal("2001:db8::1", annotations[Prefix + "public-ipv6"]);
        Assert.Equal("198.18.0.1", annotations[Prefix + "public-ip"]);
    }

    [Fact]
    public async Task IPv6OnlyVxlanWritesNoIPv4Annotations()
    {
        Server.AddNode("n1", ["2001:db8:244:7::/64"], new Dictionary<string, string>());
        KubernetesSubnetRegistry registry = CreateRegistry("n1", V6Config);
        LeaseAttributes attributes = VxlanAttributes(publicIPv6: "2001:db8::7") with { PublicIP = IPAddress.Any, BackendData = null };

        Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(attributes), TestContext.Current.CancellationToken);

        Assert.Null(lease.Subnet);
        Assert.Equal(IPNetwork.Parse("2001:db8:244:7::/64"), lease.IPv6Subnet);
        Dictionary<string, string> annotations = AnnotationsOf(await KubectlNodeAsync("n1"));
        Assert.False(annotations.ContainsKey(Prefix + "backend-data"));
        Assert.False(annotations.ContainsKey(Prefix + "public-ip"));
        Assert.Equal("2001:db8::7", annotations[Prefix + "public-ipv6"]);
    }

    [Fact]
    public async Task HostGwWritesNullBackendData()
    {
        Server.AddNode("n1", ["10.244.1.0/24"], new Dictionary<string, string>());
        KubernetesSubnetRegistry registry = CreateRegistry("n1");
        await registry.AcquireLeaseAsync(new LeaseRequest(new LeaseAttributes { PublicIP = IPAddress.Parse("198.18.0.1"), BackendType = "host-gw" }), TestContext.Current.CancellationToken);
        Assert.Equal("null", Server.GetNodeAnnotation("n1", Prefix + "backend-data"));
        Assert.Equal("host-gw", Server.GetNodeAnnotation("n1", Prefix + "backend-type"));
    }

    [Fact]
    public async Task ANodeWithoutAnyAnnotationIsAnnotated()
    {
        Server.AddNode("n1", ["10.244.1.0/24"], annotations: null);
        KubernetesSubnetRegistry registry = CreateRegistry("n1");
        await registry.AcquireLeaseAsync(new LeaseRequest(VxlanAttributes()), TestContext.Current.CancellationToken);
        Assert.Equal("true", Server.GetNodeAnnotation("n1", Prefix + "kube-subnet-manager"));
    }

    [Fact]
    public async Task ThePublicIPOverwriteIsPublishedButTheLeaseKeepsTheLocalAddress()
    {
        Server.AddNode("n1", ["10.244.1.0/24"], new Dictionary<string, string> { [Prefix + "public-ip-overwrite"] = "198.18.99.1" });
        KubernetesSubnetRegistry registry = CreateRegistry("n1");
        Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(VxlanAttributes()), TestContext.Current.CancellationToken);
        Assert.Equal("198.18.99.1", Server.GetNodeAnnotation("n1", Prefix + "public-ip"));
        Assert.Equal(IPAddress.Parse("198.18.0.1"), lease.Attributes.PublicIP);
    }

    [Fact]
    public async Task NetworkUnavailableIsSetToFalseUnlessDisabled()
    {
        Server.AddNode("n1", ["10.244.1.0/24"], new Dictionary<string, string>());
        Server.AddNode("n2", ["10.244.2.0/24"], new Dictionary<string, string>());
        await CreateRegistry("n1").AcquireLeaseAsync(new LeaseRequest(VxlanAttributes()), TestContext.Current.CancellationToken);
        await CreateRegistry("n2", configure: o => o.SetNodeNetworkUnavailable = false).AcquireLeaseAsync(new LeaseRequest(VxlanAttributes("198.18.0.2")), TestContext.Current.CancellationToken);

        JsonArray conditions = (await KubectlNodeAsync("n1"))["status"]!["conditions"]!.AsArray();
        JsonNode condition = Assert.Single(conditions, c => (string)c!["type"]! == "NetworkUnavailable")!;
        Assert.Equal("False", (string)condition["status"]!);
        Assert.Equal("FlannelIsUp", (string)condition["reason"]!);
        Assert.Equal("Flannel is running on this node", (string)condition["message"]!);
        Assert.DoesNotContain((await KubectlNodeAsync("n2"))["status"]!["conditions"]!.AsArray(), c => (string)c!["type"]! == "NetworkUnavailable");
    }

    [Fact]
    public async Task WaitsForThePodCidrAndProceedsWhenItIsAssigned()
    {
        Server.AddNode("n1", podCidrs: null, new Dictionary<string, string>());
        KubernetesSubnetRegistry registry = CreateRegistry("n1");
        Task<Lease> acquire = registry.AcquireLeaseAsync(new LeaseRequest(VxlanAttributes()), TestContext.Current.CancellationToken).AsTask();
        await WaitForAsync(() => Server.RequestCount("get", "nodes") >= 3);
        Assert.False(acquire.IsCompleted);

        await Kubectl.RunAsync("patch", "node", "n1", "--type=strategic", "-p", """{"spec":{"podCIDR":"10.244.5.0/24","podCIDRs":["10.244.5.0/24"]}}""");
        Lease lease = await acquire.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(IPNetwork.Parse("10.244.5.0/24"), lease.Subnet);
    }

    [Fact]
    public async Task FailsFastWithFlanneldsErrorWhenAsked()
    {
        Server.AddNode("n1", podCidrs: null, new Dictionary<string, string>());
        KubernetesSubnetRegistry registry = CreateRegistry("n1", configure: o => o.WaitForPodCidr = false);
        var error = await Assert.ThrowsAsync<SubnetRegistryException>(() => registry.AcquireLeaseAsync(new LeaseRequest(VxlanAttributes()), TestContext.Current.CancellationToken).AsTask());
        Assert.Equal("node \"n1\" pod cidr not assigned", error.Message);
    }

    [Theory]
    [InlineData(new[] { "10.244.1.0/24", "2001:db8:244:1::/64", "10.244.2.0/24" }, "pod cidrs should be IPv4/IPv6 only or dualstack")]
    [InlineData(new[] { "192.168.0.0/24" }, "subnet \"10.244.0.0/16\" specified in the flannel net config doesn't contain \"192.168.0.0/24\" PodCIDR of the \"n1\" node")]
    [InlineData(new[] { "10.244.0.0/15" }, "subnet \"10.244.0.0/16\" specified in the flannel net config doesn't contain \"10.244.0.0/15\" PodCIDR of the \"n1\" node")]
    public async Task UnusablePodCidrsAreErrors(string[] cidrs, string message)
    {
        Server.AddNode("n1", cidrs, new Dictionary<string, string>());
        KubernetesSubnetRegistry registry = CreateRegistry("n1");
        var error = await Assert.ThrowsAsync<SubnetRegistryException>(() => registry.AcquireLeaseAsync(new LeaseRequest(VxlanAttributes()), TestContext.Current.CancellationToken).AsTask());
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingNetworkIsAClearError()
    {
        Server.AddNode("n1", ["10.244.1.0/24"], new Dictionary<string, string>());
        KubernetesSubnetRegistry registry = CreateRegistry("n1", NetworkConfig.Parse("""{"Backend":{"Type":"vxlan"}}"""));
        var error = await Assert.ThrowsAsync<NetworkConfigException>(() => registry.AcquireLeaseAsync(new LeaseRequest(VxlanAttributes()), TestContext.Current.CancellationToken).AsTask());
        Assert.Contains("no Network", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AForbiddenPatchNamesTheMissingRbacVerb()
    {
        Server.AddNode("n1", ["10.244.1.0/24"], new Dictionary<string, string>());
        Server.Forbid("patch", "nodes/status");
        KubernetesSubnetRegistry registry = CreateRegistry("n1");
        var error = await Assert.ThrowsAsync<SubnetRegistryException>(() => registry.AcquireLeaseAsync(new LeaseRequest(VxlanAttributes()), TestContext.Current.CancellationToken).AsTask());
        Assert.Contains("verb \"patch\" on resource \"nodes/status\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("403", error.Message, StringComparison.Ordinal);
        Assert.False(error.IsTransient);
        Assert.Equal(1, Server.RequestCount("patch", "nodes/status"));
    }

    [Fact]
    public async Task TheNodeIsFoundThroughThePod()
    {
        Server.AddNode("n7", ["10.244.7.0/24"], new Dictionary<string, string>());
        Server.AddPod("kube-flannel", "kube-flannel-ds-abcde", "n7");
        KubernetesSubnetRegistry registry = CreateRegistry("ignored", configure: o => { o.NodeName = null; o.PodName = "kube-flannel-ds-abcde"; o.PodNamespace = "kube-flannel"; });
        Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(VxlanAttributes()), TestContext.Current.CancellationToken);
        Assert.Equal("n7", registry.NodeName);
        Assert.Equal(IPNetwork.Parse("10.244.7.0/24"), lease.Subnet);
    }

    [Fact]
    public async Task NodePublicAddressesAreReadFromTheOperatorsAnnotations()
    {
        Server.AddNode("n1", ["10.244.1.0/24"], new Dictionary<string, string> { [Prefix + "node-public-ip"] = "198.18.0.44", [Prefix + "node-public-ipv6"] = "2001:db8::44" });
        var (ip, ip6) = await CreateRegistry("n1").GetNodePublicAddressesAsync(TestContext.Current.CancellationToken);
        Assert.Equal(IPAddress.Parse("198.18.0.44"), ip);
        Assert.Equal(IPAddress.Parse("2001:db8::44"), ip6);
    }

    [Fact]
    public async Task AfterARestartTheOwnAnnotationCarriesTheVtepMacEvenWithAPathPrefix()
    {
        Server.AddNode("n1", ["10.244.1.0/24"], new Dictionary<string, string>());
        KubernetesSubnetRegistry first = CreateRegistry("n1", configure: o => o.AnnotationPrefix = "example.com/overlay");
        await first.AcquireLeaseAsync(new LeaseRequest(VxlanAttributes()), TestContext.Current.CancellationToken);
        Assert.NotNull(Server.GetNodeAnnotation("n1", "example.com/overlay-backend-data"));

        KubernetesSubnetRegistry second = CreateRegistry("n1", configure: o => o.AnnotationPrefix = "example.com/overlay");
        LeaseWatch watch = Watch(second);
        LeaseEventBatch snapshot = await watch.NextAsync();
        Assert.True(snapshot.IsSnapshot);
        Lease own = Assert.Single(snapshot.Events).Lease;
        Assert.Equal(IPNetwork.Parse("10.244.1.0/24"), own.Subnet);
        Assert.Equal(Mac1, own.Attributes.BackendData!.Value.GetProperty("VtepMAC").GetString());
    }
}
