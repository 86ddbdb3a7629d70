using System.Collections.Concurrent;
using System.Net;
using Overlay.Backends.CloudRoutes;

namespace Overlay.Backends.Tests;

/// <summary>An in-memory cloud: tables of routes, a log of every call, faults queued per operation.</summary>
internal sealed class FakeCloudProvider(string target = "eni-self") : ICloudRouteProvider
{
    private readonly Lock _lock = new();

    public string Type => "fake-cloud";

    public Dictionary<string, List<CloudRoute>> Tables { get; } = new(StringComparer.Ordinal) { ["rtb-1"] = [] };

    public Dictionary<string, int> Limits { get; } = new(StringComparer.Ordinal);

    public List<string> Calls { get; } = [];

    public ConcurrentDictionary<string, Queue<FakeCloudException>> Faults { get; } = new(StringComparer.Ordinal);

    public string Target { get; set; } = target;

    public IReadOnlyList<string> Writes
    {
        get
        {
            lock (_lock)
            {
                return [.. Calls.Where(c => c.StartsWith("create", StringComparison.Ordinal) || c.StartsWith("replace", StringComparison.Ordinal) || c.StartsWith("delete", StringComparison.Ordinal))];
            }
        }
    }

    public void Fail(string operation, CloudRouteErrorKind kind, int times = 1)
    {
        Queue<FakeCloudException> queue = Faults.GetOrAdd(operation, _ => new Queue<FakeCloudException>());
        for (int i = 0; i < times; i++)
        {
            queue.Enqueue(new FakeCloudException(kind));
        }
    }

    public List<CloudRoute> Routes(string table = "rtb-1")
    {
        lock (_lock)
        {
            return [.. Tables[table]];
        }
    }

    private void Record(string call)
    {
        lock (_lock)
        {
            Calls.Add(call);
            string operation = call.Split(' ')[0];
            if (Faults.TryGetValue(operation, out Queue<FakeCloudException>? queue) && queue.TryDequeue(out FakeCloudException? fault))
            {
                throw fault;
            }
        }
    }

    public ValueTask<CloudRouteIdentity> GetIdentityAsync(ExternalInterface external, CancellationToken cancellationToken)
    {
        Record("identity");
        return ValueTask.FromResult(new CloudRouteIdentity(Target, "fake instance " + external.Address));
    }

    public ValueTask PrepareInstanceAsync(CloudRouteIdentity identity, CancellationToken cancellationToken)
    {
        Record("prepare-check");
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<string>> GetRouteTablesAsync(CloudRouteIdentity identity, CancellationToken cancellationToken)
    {
        Record("tables");
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<string>>([.. Tables.Keys.Order(StringComparer.Ordinal)]);
        }
    }

    public ValueTask<IReadOnlyList<CloudRoute>> ListRoutesAsync(string routeTable, CancellationToken cancellationToken)
    {
        Record("list " + routeTable);
        return ValueTask.FromResult<IReadOnlyList<CloudRoute>>(Routes(routeTable));
    }

    public ValueTask CreateRouteAsync(string routeTable, IPNetwork destination, CloudRouteIdentity target, CancellationToken cancellationToken)
    {
        Record($"create {routeTable} {destination}");
        lock (_lock)
        {
            List<CloudRoute> routes = Tables[routeTable];
            if (Limits.TryGetValue(routeTable, out int limit) && routes.Count >= limit)
            {
                throw new FakeCloudException(CloudRouteErrorKind.QuotaExceeded);
            }

            routes.Add(new CloudRoute(destination, target.Target, CloudRouteState.Active));
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask ReplaceRouteAsync(string routeTable, CloudRoute existing, CloudRouteIdentity target, CancellationToken cancellationToken)
    {
        Record($"replace {routeTable} {existing.Destination}");
        lock (_lock)
        {
            List<CloudRoute> routes = Tables[routeTable];
            int i = routes.FindIndex(r => r.Destination.Equals(existing.Destination));
            routes[i] = new CloudRoute(existing.Destination, target.Target, CloudRouteState.Active);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DeleteRouteAsync(string routeTable, CloudRoute route, CancellationToken cancellationToken)
    {
        Record($"delete {routeTable} {route.Destination}");
        lock (_lock)
        {
            if (Tables[routeTable].RemoveAll(r => r.Destination.Equals(route.Destination)) == 0)
            {
                throw new FakeCloudException(CloudRouteErrorKind.NotFound);
            }
        }

        return ValueTask.CompletedTask;
    }

    public CloudRouteError Classify(Exception exception) =>
        exception is FakeCloudException fake ? new CloudRouteError(fake.Kind, "Fake." + fake.Kind) : new CloudRouteError(CloudRouteErrorKind.Other, exception.Message);
}

internal sealed class FakeCloudException(CloudRouteErrorKind kind) : Exception("fake " + kind)
{
    public CloudRouteErrorKind Kind { get; } = kind;
}
