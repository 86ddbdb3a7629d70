using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Overlay.Backends.Alloc;
using Overlay.Backends.AwsVpc;
using Overlay.Backends.HostGw;
using Overlay.Backends.IPIP;
using Overlay.Backends.Udp;
using Overlay.Backends.Vxlan;

namespace Overlay.Agent;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("Overlay agent: a flannel-compatible overlay network node (run) and a self-contained multi-node demo (demo).")
        {
            DemoCommand.Create(),
            RunCommand.Create(),
        };
        ParseResult parse = root.Parse(args);
        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
    }

    /// <summary>The backends this agent offers. A backend becomes available to `demo` and `run` by
    /// one line here; neither command has backend-specific code.</summary>
    public static IOverlayBuilder AddSampleBackends(this IOverlayBuilder builder) =>
        builder.AddVxlanBackend().AddHostGwBackend().AddAllocBackend().AddUdpBackend().AddIPIPBackend().AddAwsVpcBackend(AwsVpcFromEnvironment);

    /// <summary>The host reads the AWS environment once and turns it into the backend's options (the library
    /// itself reads no process-wide state): static keys, region, and the EC2 and metadata endpoints.</summary>
    private static void AwsVpcFromEnvironment(AwsVpcBackendOptions options)
    {
        static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
        options.AccessKeyId = Env("AWS_ACCESS_KEY_ID");
        options.SecretAccessKey = Env("AWS_SECRET_ACCESS_KEY");
        options.SessionToken = Env("AWS_SESSION_TOKEN");
        options.Region = Env("AWS_REGION") ?? Env("AWS_DEFAULT_REGION");
        if (Env("AWS_EC2_METADATA_SERVICE_ENDPOINT") is { } metadata)
        {
            options.MetadataEndpoint = new Uri(metadata);
        }

        if (Env("AWS_ENDPOINT_URL_EC2") is { } ec2)
        {
            options.Ec2Endpoint = new Uri(ec2);
        }
    }
}
