using Overlay.Lab;
using Overlay.Testing;

namespace Overlay.Subnets.Kubernetes.Tests.Support;

/// <summary>kubectl against an API server double, through a kubeconfig file of its own: the
/// independent checker of the double and of what the registry writes.</summary>
internal sealed class Kubectl : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ovl-kubectl-").FullName;

    public Kubectl(KubernetesApiDouble server)
    {
        Kubeconfig = server.WriteKubeconfig(Path.Combine(_directory, "kubeconfig"));
    }

    public string Kubeconfig { get; }

    /// <summary>Runs kubectl; throws with its stderr on a non-zero exit.</summary>
    public async Task<string> RunAsync(params string[] arguments)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await Shell.RunAsync("kubectl", ["--kubeconfig", Kubeconfig, "--cache-dir", Path.Combine(_directory, "cache"), .. arguments], cancellationToken: timeout.Token);
    }

    /// <summary>Runs kubectl and returns its exit code and output.</summary>
    public async Task<(int ExitCode, string Stdout, string Stderr)> TryRunAsync(params string[] arguments)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await Shell.TryRunAsync("kubectl", ["--kubeconfig", Kubeconfig, "--cache-dir", Path.Combine(_directory, "cache"), .. arguments], cancellationToken: timeout.Token);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
