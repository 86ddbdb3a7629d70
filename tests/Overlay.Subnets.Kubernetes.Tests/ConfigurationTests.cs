using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Overlay.Subnets.Kubernetes.Tests;

/// <summary>Annotation prefixes (flannel's table), options from the environment, DI registration.</summary>
public sealed class ConfigurationTests
{
    [Theory]
    [InlineData("flannel.alpha.coreos.com", "flannel.alpha.coreos.com/backend-type")]
    [InlineData("flannel.alpha.coreos.com/", "flannel.alpha.coreos.com/backend-type")]
    [InlineData("flannel.alpha.coreos.com/prefix", "flannel.alpha.coreos.com/prefix-backend-type")]
    [InlineData("flannel.alpha.coreos.com/prefix-", "flannel.alpha.coreos.com/prefix-backend-type")]
    [InlineData("org.com", "org.com/backend-type")]
    [InlineData("org9.com", "org9.com/backend-type")]
    [InlineData("org.com/9", "org.com/9-backend-type")]
    public void AcceptedPrefixes(string prefix, string backendType) =>
        Assert.Equal(backendType, KubernetesAnnotationNames.Create(prefix).BackendType);

    [Theory]
    [InlineData("org", "prefix must be in a format: fqdn/[0-9a-z-_]*")]
    [InlineData("org/", "prefix must be in a format: fqdn/[0-9a-z-_]*")]
    [InlineData("org/prefix", "prefix must be in a format: fqdn/[0-9a-z-_]*")]
    [InlineData("org.COM", "prefix must be in a format: fqdn/[0-9a-z-_]*")]
    [InlineData("org.com/PREFIX", "prefix must be in a format: fqdn/[0-9a-z-_]*")]
    [InlineData("a.b/c/d", "prefix can contain at most single slash")]
    public void RejectedPrefixes(string prefix, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => KubernetesAnnotationNames.Create(prefix));
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UpperCaseBeforeAValidDomainIsAcceptedAsFlannelDoes() =>
        Assert.Equal("X_Y.org.com/kube-subnet-manager", KubernetesAnnotationNames.Create("X_Y.org.com").SubnetManager);

    [Fact]
    public void OptionsComeFromFlanneldsEnvironment()
    {
        var env = new Dictionary<string, string> { ["NODE_NAME"] = "n1", ["EVENT_QUEUE_DEPTH"] = "-3", ["CONT_WHEN_CACHE_NOT_READY"] = "true" };
        KubernetesSubnetRegistryOptions options = KubernetesSubnetRegistryOptions.FromEnvironment(k => env.GetValueOrDefault(k));
        Assert.Equal("n1", options.NodeName);
        Assert.Equal(KubernetesSubnetRegistryOptions.DefaultEventQueueDepth, options.EventQueueDepth);
        Assert.True(options.ContinueWhenCacheNotReady);

        env["CONT_WHEN_CACHE_NOT_READY"] = "True";
        env["EVENT_QUEUE_DEPTH"] = "12";
        options = KubernetesSubnetRegistryOptions.FromEnvironment(k => env.GetValueOrDefault(k));
        Assert.False(options.ContinueWhenCacheNotReady);
        Assert.Equal(12, options.EventQueueDepth);

        env["EVENT_QUEUE_DEPTH"] = "many";
        Assert.Contains("EVENT_QUEUE_DEPTH", Assert.Throws<ArgumentException>(() => KubernetesSubnetRegistryOptions.FromEnvironment(k => env.GetValueOrDefault(k))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutNodeNameThePodIsNeeded()
    {
        var error = Assert.Throws<ArgumentException>(() => new KubernetesSubnetRegistryOptions { ApiUrl = "http://127.0.0.1:1" }.Validate());
        Assert.Contains("env variables POD_NAME and POD_NAMESPACE must be set", error.Message, StringComparison.Ordinal);
        Assert.Equal("NodeName", error.ParamName);
    }

    [Fact]
    public async Task AnInvalidPrefixFailsTheHostStartNamingTheOption()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddKubernetesSubnetRegistry(o => { o.NodeName = "n1"; o.ApiUrl = "http://127.0.0.1:1"; o.AnnotationPrefix = "org"; });
        using IHost host = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("KubernetesSubnetRegistryOptions.AnnotationPrefix", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheRegistryIsTheContainersSubnetRegistryAndASecondCallIsAnError()
    {
        var services = new ServiceCollection();
        services.AddKubernetesSubnetRegistry(o => { o.NodeName = "n1"; o.ApiUrl = "http://127.0.0.1:1"; });
        Assert.Throws<InvalidOperationException>(() => services.AddKubernetesSubnetRegistry());
        await using ServiceProvider provider = services.BuildServiceProvider();
        Assert.Same(provider.GetRequiredService<KubernetesSubnetRegistry>(), provider.GetRequiredService<ISubnetRegistry>());
    }
}
