import { DecimalPipe, PercentPipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { firstValueFrom } from 'rxjs';
import { uploadWithAuthorization, type B2FileWire } from 'rxb2';
import { UploadTracker } from 'rxb2/angular';
import { ServerAuthorizer, type ListedFile } from './server-authorizer';

@Component({
  selector: 'app-root',
  imports: [PercentPipe, DecimalPipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>Uploads to B2 <small>(the key stays on the server)</small></h1>
    <section>
      <label>Files <input id="files" type="file" multiple (change)="pick($event)" [disabled]="!config()" /></label>
      @for (upload of tracker.uploads(); track upload.id) {
        <div class="upload" [attr.data-name]="upload.name">
          <span class="name">{{ upload.name }}</span>
          <progress max="1" [value]="upload.progress()"></progress>
          <span class="percent">{{ upload.progress() | percent }}</span>
          @if (upload.state() === 'uploading') {
            <button type="button" class="cancel" (click)="upload.cancel()">Cancel</button>
          } @else {
            <span class="state state-{{ upload.state() }}">{{ upload.state() }}</span>
          }
        </div>
      }
      <p class="in-flight">{{ tracker.inFlight().length }} in flight</p>
    </section>
    <section>
      <button type="button" id="list" (click)="list()">List files</button>
      @if (files(); as listed) {
        <table>
          <tr>
            <th>name</th>
            <th>bytes</th>
            <th></th>
          </tr>
          @for (file of listed; track file.fileName) {
            <tr [attr.data-file]="file.fileName">
              <td>{{ file.fileName }}</td>
              <td>{{ file.contentLength | number }}</td>
              <td><button type="button" class="download" (click)="download(file.fileName)">Download</button></td>
            </tr>
          }
        </table>
      }
      @if (downloaded(); as d) {
        <p id="downloaded">
          Downloaded <b>{{ d.fileName }}</b>: <span class="bytes">{{ d.length }}</span> bytes, SHA-1 <code class="sha1">{{ d.sha1 }}</code>
        </p>
      }
      @if (failure()) {
        <p class="state-failed" id="failure">{{ failure() }}</p>
      }
    </section>
  `,
})
export class AppComponent {
  private readonly server = inject(ServerAuthorizer);
  /** Cancels what is still running when the component goes away. */
  readonly tracker = new UploadTracker();
  readonly config = toSignal(this.server.config());
  readonly files = signal<ListedFile[] | undefined>(undefined);
  readonly downloaded = signal<{ fileName: string; length: number; sha1: string } | undefined>(undefined);
  readonly failure = signal<string | undefined>(undefined);

  pick(event: Event): void {
    const input = event.target as HTMLInputElement;
    const config = this.config();
    if (!config) return;
    for (const file of Array.from(input.files ?? [])) {
      const upload = this.tracker.start<B2FileWire>(
        file.name,
        uploadWithAuthorization({
          contents: file,
          fileName: config.prefix + file.name,
          contentType: file.type || 'b2/x-auto',
          authorizer: this.server,
          largeFileThreshold: config.largeFileThreshold,
          concurrency: 2,
        }),
        file.size,
      );
      upload.result$.subscribe({ error: (err: unknown) => this.failure.set(`${file.name}: ${String((err as Error).message ?? err)}`) });
    }
    input.value = '';
  }

  async list(): Promise<void> {
    this.files.set(await firstValueFrom(this.server.list()));
  }

  async download(fileName: string): Promise<void> {
    const { url } = await firstValueFrom(this.server.downloadUrl(fileName));
    const bytes = await (await fetch(url)).arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-1', bytes));
    const sha1 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
    this.downloaded.set({ fileName, length: bytes.byteLength, sha1 });
  }
}
