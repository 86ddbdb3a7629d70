using Microsoft.Extensions.Logging;

namespace Overlay.Subnets.Etcd.Tests.Support;

/// <summary>Records every log entry (formatted message and exception text) for assertions.</summary>
public sealed class ListLogger : ILogger, ILoggerFactory
{
    private readonly Lock _lock = new();
    private readonly List<(LogLevel Level, EventId EventId, string Message, Exception? Exception)> _entries = [];

    public IReadOnlyList<(LogLevel Level, EventId EventId, string Message, Exception? Exception)> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>Everything written, messages and exceptions (with inner exceptions), as one text.</summary>
    public string AllText => string.Join("\n", Entries.Select(e => e.Message + " " + e.Exception));

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lock)
        {
            _entries.Add((logLevel, eventId, formatter(state, exception), exception));
        }
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }
}
