using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Overlay.Backends;
using Overlay.Subnets;

namespace Overlay.Hosting.Tests;

/// <summary>Records the order of the agent's steps across the fakes.</summary>
internal sealed class StepLog
{
    private readonly ConcurrentQueue<string> _steps = new();

    public void Add(string step) => _steps.Enqueue(step);

    public IReadOnlyList<string> Steps => [.. _steps];
}

/// <summary>A registry wrapper that records calls, can fail config reads, and can hold acquisitions at a gate.</summary>
internal sealed class FakeRegistry(ISubnetRegistry inner, StepLog steps) : ISubnetRegistry
{
    private volatile TaskCompletionSource? _gate;
    private int _acquisitions;
    private int _renewals;

    public int FailConfigReads { get; set; }

    /// <summary>Config reads that answer "no configuration" (after <see cref="FailConfigReads"/>).</summary>
    public int MissingConfigReads { get; set; }

    public int ConfigReads { get; private set; }

    public NetworkConfig? ConfigOverride { get; set; }

    public int Acquisitions => Volatile.Read(ref _acquisitions);

    public int Renewals => Volatile.Read(ref _renewals);

    public TaskCompletionSource Renewed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when an acquisition waits at the closed gate.</summary>
    public TaskCompletionSource AcquisitionWaiting { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void CloseGate()
    {
        AcquisitionWaiting = new(TaskCreationOptions.RunContinuationsAsynchronously);
        _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void OpenGate() => Interlocked.Exchange(ref _gate, null)?.TrySetResult();

    public async ValueTask<NetworkConfig> GetNetworkConfigAsync(CancellationToken cancellationToken = default)
    {
        steps.Add("config");
        ConfigReads++;
        if (ConfigReads <= FailConfigReads)
        {
            throw new SubnetRegistryException("the registry is not reachable (fake)", isTransient: true);
        }

        if (ConfigReads <= FailConfigReads + MissingConfigReads)
        {
            throw new NetworkConfigNotFoundException("/fake/config", "there is no key /fake/config (fake); create it with etcdctl put");
        }

        return ConfigOverride ?? await inner.GetNetworkConfigAsync(cancellationToken);
    }

    public async ValueTask<Lease> AcquireLeaseAsync(LeaseRequest request, CancellationToken cancellationToken = default)
    {
        steps.Add("acquire");
        Interlocked.Increment(ref _acquisitions);
        if (_gate is { } gate)
        {
            AcquisitionWaiting.TrySetResult();
            await gate.Task.WaitAsync(cancellationToken);
        }

        return await inner.AcquireLeaseAsync(request, cancellationToken);
    }

    public async ValueTask<Lease> RenewLeaseAsync(Lease lease, CancellationToken cancellationToken = default)
    {
        Lease renewed = await inner.RenewLeaseAsync(lease, cancellationToken);
        Interlocked.Increment(ref _renewals);
        steps.Add("renew");
        Renewed.TrySetResult();
        return renewed;
    }

    public ValueTask ReleaseLeaseAsync(Lease lease, CancellationToken cancellationToken = default) => inner.ReleaseLeaseAsync(lease, cancellationToken);

    public async IAsyncEnumerable<LeaseEventBatch> WatchLeasesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        steps.Add("watch");
        await foreach (LeaseEventBatch batch in inner.WatchLeasesAsync(cancellationToken))
        {
            yield return batch;
        }
    }
}

/// <summary>A backend that acquires the lease through the registration and returns a <see cref="FakeNetwork"/>.</summary>
internal sealed class FakeBackend(StepLog steps, string subnetFile) : IOverlayBackend
{
    private readonly ConcurrentQueue<NetworkRegistration> _registrations = new();
    private readonly ConcurrentQueue<FakeNetwork> _networks = new();

    public string Type => "fake";

    public IReadOnlyList<NetworkRegistration> Registrations => [.. _registrations];

    public IReadOnlyList<FakeNetwork> Networks => [.. _networks];

    /// <summary>Errors thrown by the next registrations, in order (before any lease is taken).</summary>
    public ConcurrentQueue<Exception> Failures { get; } = new();

    /// <summary>When false, a network's <see cref="IOverlayNetwork.Ready"/> stays pending until the test completes it.</summary>
    public bool ReadyWhenRunning { get; set; } = true;

    /// <summary>Completes with each network as it is created.</summary>
    public event Action<FakeNetwork>? Created;

    public async ValueTask<IOverlayNetwork> RegisterNetworkAsync(NetworkRegistration registration, CancellationToken cancellationToken = default)
    {
        steps.Add("register");
        _registrations.Enqueue(registration);
        if (Failures.TryDequeue(out Exception? failure))
        {
            throw failure;
        }

        Lease lease = await registration.Registry.AcquireLeaseAsync(registration.CreateLeaseRequest(registration.CreateLeaseAttributes(Type)), cancellationToken);
        var network = new FakeNetwork(lease, steps, subnetFile, ReadyWhenRunning);
        _networks.Enqueue(network);
        Created?.Invoke(network);
        return network;
    }
}

/// <summary>A third party's network: not a ReconcilingNetwork; readiness, peers and node problems are driven by the test.</summary>
internal sealed class FakeNetwork(Lease lease, StepLog steps, string subnetFile, bool readyWhenRunning = true) : IOverlayNetwork
{
    private readonly ConcurrentDictionary<string, PeerStatus> _peers = new(StringComparer.Ordinal);

    public Lease Lease { get; } = lease;

    public int Mtu => 1450;

    public TaskCompletionSource ReadySource { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Ready => ReadySource.Task;

    public IReadOnlyList<PeerStatus> Peers => [.. _peers.Values];

    public NodeStatusTracker Problems { get; } = new();

    public NodeStatus Status => Problems.Current;

    public event EventHandler<NodeStatusChangedEventArgs>? StatusChanged
    {
        add => Problems.Changed += value;
        remove => Problems.Changed -= value;
    }

    public event EventHandler<PeerStatusChangedEventArgs>? PeerStatusChanged;

    /// <summary>Adds or changes a peer and raises the event as a network does (through <see cref="OverlayEvents"/>).</summary>
    public PeerStatus SetPeer(string key, PeerMode mode, string reason)
    {
        var status = new PeerStatus(key, Lease with { }, mode, reason, null, DateTimeOffset.UnixEpoch);
        _peers.TryGetValue(key, out PeerStatus? previous);
        _peers[key] = status;
        OverlayEvents.Raise(PeerStatusChanged, this, new PeerStatusChangedEventArgs(previous, status), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, nameof(PeerStatusChanged));
        return status;
    }

    /// <summary>The subnet file's content when the peer loop started (null: absent).</summary>
    public string? SubnetFileAtRun { get; private set; }

    public bool Disposed { get; private set; }

    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        SubnetFileAtRun = File.Exists(subnetFile) ? await File.ReadAllTextAsync(subnetFile, cancellationToken) : null;
        steps.Add("run");
        if (readyWhenRunning)
        {
            ReadySource.TrySetResult();
        }

        Started.TrySetResult();
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}

internal sealed class RecordingMasquerade(StepLog steps, string subnetFile) : IMasqueradeHook
{
    public List<MasqueradeContext> Calls { get; } = [];

    public bool SubnetFileExistedAtCall { get; private set; }

    public ValueTask SetUpAsync(MasqueradeContext context, CancellationToken cancellationToken = default)
    {
        steps.Add("masquerade");
        SubnetFileExistedAtCall |= File.Exists(subnetFile);
        Calls.Add(context);
        return ValueTask.CompletedTask;
    }
}

/// <summary>A temporary directory deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "overlay-hosting-tests-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

internal static class Wait
{
    /// <summary>A hang guard for awaits in tests: generous, never a timing expectation.</summary>
    public static Task Guard(this Task task) => task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

    public static Task<T> Guard<T>(this Task<T> task) => task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

    public static ExternalInterface Interface => new("eth0", 2, 1500)
    {
        Address = IPAddress.Parse("198.18.1.10"),
        PublicIP = IPAddress.Parse("198.18.1.10"),
    };
}
