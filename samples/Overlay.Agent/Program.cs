using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Overlay.Backends.Alloc;
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
        builder.AddVxlanBackend().AddHostGwBackend().AddAllocBackend().AddUdpBackend().AddIPIPBackend();
}
